// The "remember this device" cookie: the trusted-device token of one account, signed with
// COOKIE_SECRETS, HttpOnly, SameSite=Lax, Secure (and __Host-) over https. The server record behind
// it (services/trusted-devices.ts) is what counts: revoking it there ends the skip at once, and a
// cookie copied to another account's sign-in is ignored because the account id must match.
import type Koa from 'koa';

const VALUE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export interface TrustedDeviceCookie {
  /** The token this browser holds for the account, if any; checking it is the service's job. */
  read(ctx: Koa.Context, accountId: string): string | undefined;
  write(ctx: Koa.Context, accountId: string, token: string, expiresAt: Date): void;
}

export function createTrustedDeviceCookie(options: { secure: boolean }): TrustedDeviceCookie {
  const { secure } = options;
  // One browser remembers one account: a second person choosing "remember" replaces the first.
  const name = secure ? '__Host-gatehouse.trusted-device' : 'gatehouse.trusted-device';
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/', signed: true, overwrite: true } as const;

  return {
    read(ctx, accountId) {
      const match = VALUE.exec(ctx.cookies.get(name, { signed: true }) ?? '');
      return match && match[1] === accountId ? match[2] : undefined;
    },
    write(ctx, accountId, token, expiresAt) {
      const maxAge = Math.max(0, expiresAt.getTime() - Date.now());
      ctx.cookies.set(name, `${accountId}.${token}`, { ...cookieOptions, maxAge });
    },
  };
}
