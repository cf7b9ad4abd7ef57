// Gatehouse's own pages (the account pages, the admin console) sign people in through Gatehouse
// itself, as built-in public clients: the authorization code flow with state and PKCE (RFC 9700
// §2.1.1), so every sign-in rule — password, second factor, federation — applies to them exactly
// as it does to any app. The code is spent in-process rather than at our own token endpoint.
import { createHash } from 'node:crypto';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { safeEqual } from '../crypto/safe-equal.js';
import { randomToken } from '../crypto/tokens.js';

const PENDING_MAX_AGE_MS = 60 * 60 * 1000;
// The shape of oidc-provider's authorization codes (base64url); anything else is not looked up.
const CODE = /^[A-Za-z0-9_-]{1,256}$/;
// A return path rides in a cookie (browsers drop cookies over 4 KB).
const MAX_RETURN_PATH_CHARS = 100;
const EXPIRED = 'This sign-in has expired or was started in another browser.';

export interface FirstPartySignInOptions {
  provider: Provider;
  issuer: string;
  clientId: string;
  callbackUrl: string;
  /** The pending sign-in's cookie name, without the __Host- prefix that https adds. */
  cookieName: string;
  /** Where a sign-in may return to: this page family only (no open redirect). */
  returnPath: RegExp;
  defaultReturnPath: string;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

export type SignInOutcome =
  | { ok: true; accountId: string; sessionUid: string; returnTo: string }
  | { ok: false; message: string };

function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function createFirstPartySignIn(options: FirstPartySignInOptions) {
  const { provider, issuer, clientId, callbackUrl } = options;
  const secure = issuer.startsWith('https://');
  // Signed with COOKIE_SECRETS (the provider's keys); __Host- pins it to this host over https.
  const cookieName = secure ? `__Host-${options.cookieName}` : options.cookieName;
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/', signed: true, overwrite: true } as const;

  function returnPathOf(value: unknown): string {
    return typeof value === 'string' && value.length <= MAX_RETURN_PATH_CHARS && options.returnPath.test(value) ? value : options.defaultReturnPath;
  }

  function readPending(ctx: Koa.Context): PendingSignIn | undefined {
    const raw = ctx.cookies.get(cookieName, { signed: true });
    if (!raw) return undefined;
    try {
      const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingSignIn>;
      if (typeof value.state !== 'string' || typeof value.verifier !== 'string') return undefined;
      return { state: value.state, verifier: value.verifier, returnTo: returnPathOf(value.returnTo) };
    } catch {
      return undefined;
    }
  }

  return {
    returnPathOf,

    /** Sends the browser to the authorization endpoint, to come back to `returnTo` once signed in. */
    start(ctx: Koa.Context, returnTo: unknown): void {
      const pending: PendingSignIn = { state: randomToken(), verifier: randomToken(), returnTo: returnPathOf(returnTo) };
      ctx.cookies.set(cookieName, Buffer.from(JSON.stringify(pending)).toString('base64url'), { ...cookieOptions, maxAge: PENDING_MAX_AGE_MS });
      const authorize = new URL(`${issuer}/auth`);
      authorize.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: callbackUrl,
        state: pending.state,
        code_challenge: challengeOf(pending.verifier),
        code_challenge_method: 'S256',
      }).toString();
      ctx.status = 303;
      ctx.redirect(authorize.href);
    },

    /**
     * The authorization response: checks state against this browser's cookie, then spends the
     * code in-process (it must be ours, for this redirect, with the matching PKCE verifier).
     */
    async finish(ctx: Koa.Context): Promise<SignInOutcome> {
      const pending = readPending(ctx);
      ctx.cookies.set(cookieName, null, cookieOptions);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
      if (!pending || !safeEqual(state, pending.state)) return { ok: false, message: EXPIRED };
      if (typeof ctx.query.error === 'string') {
        return { ok: false, message: ctx.query.error === 'access_denied' ? 'Sign-in was cancelled.' : 'Sign-in did not complete.' };
      }
      const codeValue = typeof ctx.query.code === 'string' && CODE.test(ctx.query.code) ? ctx.query.code : undefined;
      const code = codeValue ? await provider.AuthorizationCode.find(codeValue) : undefined;
      if (!code || (code as { consumed?: unknown }).consumed || code.clientId !== clientId || code.redirectUri !== callbackUrl
        || !code.codeChallenge || !safeEqual(challengeOf(pending.verifier), code.codeChallenge)) {
        return { ok: false, message: EXPIRED };
      }
      await code.destroy();
      const session = await provider.Session.get(ctx);
      if (!code.accountId || session.accountId !== code.accountId) return { ok: false, message: 'Sign-in did not complete.' };
      return { ok: true, accountId: code.accountId, sessionUid: session.uid, returnTo: pending.returnTo };
    },
  };
}
