// A random id that tells one browser from another for new-device alerts (issue 6 item 5): set
// at the first sign-in, kept for a year, signed with COOKIE_SECRETS, HttpOnly, SameSite=Lax and
// Secure (with __Host-) over https. Only its SHA-256 is stored; it proves nothing by itself.
import type Koa from 'koa';
import { isWellFormedToken, randomToken } from '../crypto/tokens.js';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

export function createDeviceCookie(options: { secure: boolean }) {
  const name = options.secure ? '__Host-gatehouse.device' : 'gatehouse.device';
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

