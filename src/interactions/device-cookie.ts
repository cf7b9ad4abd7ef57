// A random id that tells one browser from another for new-device alerts: set
// at the first sign-in, kept for a year, signed with COOKIE_SECRETS, HttpOnly, SameSite=Lax and
// Secure (with __Host-) over https. Only its SHA-256 is stored. It proves no identity, but a
// browser an account has signed in from is that account's own source for the login guard
// (login-guard.ts): other sources' failures do not hold it up, and its own wrong passwords lock it
// after lockout.maxFailures like any source. The signature keeps anyone from minting known ids.
import type Koa from 'koa';
import { isWellFormedToken, randomToken } from '../crypto/tokens.js';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

const cookieName = (secure: boolean) => (secure ? '__Host-gatehouse.device' : 'gatehouse.device');

export function createDeviceCookie(options: { secure: boolean }) {
  const name = cookieName(options.secure);
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/', signed: true, overwrite: true, maxAge: ONE_YEAR_MS } as const;

  /** This browser's device id, created (and set on the response) when it has none. */
  return function deviceIdOf(ctx: Koa.Context): string {
    const existing = ctx.cookies.get(name, { signed: true });
    if (existing && isWellFormedToken(existing)) return existing;
    const created = randomToken();
    ctx.cookies.set(name, created, cookieOptions);
    return created;
  };
}

/** Reads this browser's device id without setting one (the login guard's source of an attempt). */
export function createDeviceIdReader(options: { secure: boolean }) {
  const name = cookieName(options.secure);
  return function readDeviceId(ctx: Koa.Context): string | undefined {
    const existing = ctx.cookies.get(name, { signed: true });
    return existing && isWellFormedToken(existing) ? existing : undefined;
  };
}
