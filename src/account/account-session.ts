// Who is signed in on the account pages: the browser's oidc-provider session, the same one the
// relying parties rely on. Someone without one is sent through Gatehouse's own authorization
// endpoint as the built-in account client (state + PKCE), so every sign-in rule — password,
// second factor, federation — applies here exactly as it does for any app.
import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS, accountCallbackUrl } from '../paths.js';
import type { Renderer } from '../http/render.js';
import { randomToken } from '../crypto/tokens.js';
import { safeEqual } from '../crypto/safe-equal.js';
import type { UserService } from '../services/users.js';
import type { AccountContext, AccountStep } from './steps.js';

const SIGN_IN_COOKIE_MAX_AGE_MS = 60 * 60 * 1000;
// The shape of oidc-provider's authorization codes (base64url); anything else is not looked up.
const CODE = /^[A-Za-z0-9_-]{1,256}$/;
// Where a sign-in may return to: our own account pages only (no open redirect), by a short path,
// since it rides in a cookie (browsers drop cookies over 4 KB).
const RETURN_PATH = /^\/account(?:\/[a-z-]+)*$/;
const MAX_RETURN_PATH_CHARS = 100;

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function returnPathOf(value: unknown): string {
  return typeof value === 'string' && value.length <= MAX_RETURN_PATH_CHARS && RETURN_PATH.test(value) ? value : ACCOUNT_PATHS.home;
}

export function createAccountSession(deps: { provider: Provider; users: UserService; renderer: Renderer; issuer: string }) {
  const { provider, users, renderer, issuer } = deps;
  const secure = issuer.startsWith('https://');
  // Signed with COOKIE_SECRETS (the provider's keys); __Host- pins it to this host over https.
  const cookieName = secure ? '__Host-gatehouse.account-sign-in' : 'gatehouse.account-sign-in';
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/', signed: true, overwrite: true } as const;

  function readPending(ctx: AccountContext): PendingSignIn | undefined {
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

  function redirectToSignIn(ctx: AccountContext, returnTo: string): void {
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.signIn}?return=${encodeURIComponent(returnTo)}`);
  }

  /** Loads the signed-in person, or sends the browser to sign in and come back here. */
  const requireSignedIn: AccountStep = async function requireSignedIn(ctx, next) {
    const session = await provider.Session.get(ctx);
    const user = session.accountId ? await users.findById(session.accountId) : undefined;
    if (!user || user.status !== 'active') {
      // A form posted from an expired session comes back to its page, not to a replayed POST.
      redirectToSignIn(ctx, ctx.method === 'GET' ? ctx.path : ACCOUNT_PATHS.home);
      return;
    }
    ctx.state.account = { user, sessionId: session.jti };
    await next();
  };

  const startSignIn: AccountStep = async function startSignIn(ctx) {
    const pending: PendingSignIn = { state: randomToken(), verifier: randomToken(), returnTo: returnPathOf(ctx.query.return) };
    ctx.cookies.set(cookieName, Buffer.from(JSON.stringify(pending)).toString('base64url'), { ...cookieOptions, maxAge: SIGN_IN_COOKIE_MAX_AGE_MS });
    const authorize = new URL(`${issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: accountCallbackUrl(issuer),
      state: pending.state,
      code_challenge: challengeOf(pending.verifier),
      code_challenge_method: 'S256',
    }).toString();
    ctx.status = 303;
    ctx.redirect(authorize.href);
  };

  async function renderSignInFailed(ctx: AccountContext, message: string): Promise<void> {
    await renderer.render(ctx, 'account/sign-in-failed', { title: 'You are not signed in', message, signInPath: ACCOUNT_PATHS.signIn }, 400);
  }

  /**
   * The authorization response: checks state against this browser's cookie, then spends the code
   * in-process (it must be ours, for this redirect, with the matching PKCE verifier) instead of
   * calling our own token endpoint over the network.
   */
  const finishSignIn: AccountStep = async function finishSignIn(ctx) {
    const pending = readPending(ctx);
    ctx.cookies.set(cookieName, null, cookieOptions);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    if (!pending || !safeEqual(state, pending.state)) {
      return renderSignInFailed(ctx, 'This sign-in has expired or was started in another browser.');
    }
    if (typeof ctx.query.error === 'string') {
      return renderSignInFailed(ctx, ctx.query.error === 'access_denied' ? 'Sign-in was cancelled.' : 'Sign-in did not complete.');
    }
    const codeValue = typeof ctx.query.code === 'string' && CODE.test(ctx.query.code) ? ctx.query.code : undefined;
    const code = codeValue ? await provider.AuthorizationCode.find(codeValue) : undefined;
    if (!code || (code as { consumed?: unknown }).consumed || code.clientId !== ACCOUNT_CLIENT_ID || code.redirectUri !== accountCallbackUrl(issuer)
      || !code.codeChallenge || !safeEqual(challengeOf(pending.verifier), code.codeChallenge)) {
      return renderSignInFailed(ctx, 'This sign-in has expired or was started in another browser.');
    }
    await code.destroy();
    const session = await provider.Session.get(ctx);
    if (session.accountId !== code.accountId) return renderSignInFailed(ctx, 'Sign-in did not complete.');
    ctx.status = 303;
    ctx.redirect(pending.returnTo);
  };

  return { requireSignedIn, startSignIn, finishSignIn };
}
