// CSRF protection for our forms: a signed double-submit cookie (OWASP CSRF Prevention Cheat
// Sheet). The cookie holds a random value; the form carries HMAC(secret, value). A cross-site
// page can make the browser send the cookie but can neither read it nor compute the HMAC.
import { createHmac } from 'node:crypto';
import type Koa from 'koa';
import { ForbiddenError } from '../errors.js';
import { isWellFormedToken, randomToken } from '../crypto/tokens.js';
import { safeEqual } from '../crypto/safe-equal.js';
import { formOf, type FormState } from './body.js';

export const CSRF_FIELD = 'csrf';
const COOKIE_MAX_AGE_MS = 12 * 60 * 60 * 1000;
// Domain separation: the same secrets also sign oidc-provider's cookies.
const HMAC_CONTEXT = 'gatehouse/csrf/v1:';

export class CsrfError extends ForbiddenError {
  constructor() {
    super('This form has expired or was sent from another site. Go back, reload the page and try again.');
  }
}

export interface Csrf {
  /** The token for a form on this response; sets the cookie when the request has none. */
  issue(ctx: Koa.Context): string;
  /** Rejects (403) a request whose `csrf` field does not match its cookie. Needs parseForm first. */
  verify: Koa.Middleware<FormState>;
}

export function createCsrf(options: { secrets: string[]; secure: boolean }): Csrf {
  const { secrets, secure } = options;
  if (secrets.length === 0) throw new RangeError('createCsrf needs at least one secret');
  // Over https the __Host- prefix pins the cookie to this host and path '/', so a sibling
  // subdomain cannot plant a value of its own (cookie tossing).
  const cookieName = secure ? '__Host-gatehouse.csrf' : 'gatehouse.csrf';
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/', signed: false, overwrite: true } as const;

  function tokenFor(secret: string, cookieValue: string): string {
    return createHmac('sha256', secret).update(HMAC_CONTEXT + cookieValue).digest('base64url');
  }

  function readCookie(ctx: Koa.Context): string | undefined {
    const value = ctx.cookies.get(cookieName);
    return value && isWellFormedToken(value) ? value : undefined;
  }

  return {
    issue(ctx) {
      let value = readCookie(ctx) ?? (ctx.state.csrfCookie as string | undefined);
      if (!value) {
        value = randomToken();
        ctx.cookies.set(cookieName, value, { ...cookieOptions, maxAge: COOKIE_MAX_AGE_MS });
        ctx.state.csrfCookie = value;
      }
      return tokenFor(secrets[0]!, value);
    },

    async verify(ctx, next) {
      const cookieValue = readCookie(ctx);
      const submitted = formOf(ctx).get(CSRF_FIELD) ?? '';
      // Every configured secret is tried so that rotating COOKIE_SECRETS keeps open forms valid.
      const valid = cookieValue !== undefined && secrets.some((secret) => safeEqual(tokenFor(secret, cookieValue), submitted));
      if (!valid) throw new CsrfError();
      await next();
    },
  };
}
