// Who is signed in on the account pages: the browser's oidc-provider session, the same one the
// relying parties rely on. Someone without one is sent through Gatehouse's own authorization
// endpoint as the built-in account client (http/first-party-sign-in.ts), so every sign-in rule —
// password, second factor, federation — applies here exactly as it does for any app.
import type Provider from 'oidc-provider';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS, accountCallbackUrl } from '../paths.js';
import { createFirstPartySignIn } from '../http/first-party-sign-in.js';
import type { Renderer } from '../http/render.js';
import type { UserService } from '../services/users.js';
import type { AccountContext, AccountStep } from './steps.js';

// The pages whose forms post under their own path (/account/sessions/end -> /account/sessions).
const PAGE_OF_FORM: readonly string[] = [
  ACCOUNT_PATHS.sessions, ACCOUNT_PATHS.apps, ACCOUNT_PATHS.personalTokens, ACCOUNT_PATHS.twoFactor, ACCOUNT_PATHS.signInMethods,
];

export function createAccountSession(deps: { provider: Provider; users: UserService; renderer: Renderer; issuer: string }) {
  const { provider, users, renderer, issuer } = deps;
  const signIn = createFirstPartySignIn({
    provider, issuer, clientId: ACCOUNT_CLIENT_ID, callbackUrl: accountCallbackUrl(issuer), cookieName: 'gatehouse.account-sign-in',
    returnPath: /^\/account(?:\/[a-z-]+)*$/, defaultReturnPath: ACCOUNT_PATHS.home,
  });

  function redirectToSignIn(ctx: AccountContext, returnTo: string): void {
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.signIn}?return=${encodeURIComponent(returnTo)}`);
  }

  /**
   * A form posted from a page whose session has ended since (signed out from another device, or
   * expired): nothing is done, and the answer says so plainly, with a way back in that returns to
   * the form's page, not to a replayed POST.
   */
  async function answerSignedOut(ctx: AccountContext): Promise<void> {
    const page = PAGE_OF_FORM.find((path) => ctx.path === path || ctx.path.startsWith(`${path}/`)) ?? ACCOUNT_PATHS.home;
    await renderer.render(ctx, 'account/signed-out', {
      title: 'You have been signed out',
      signInPath: `${ACCOUNT_PATHS.signIn}?return=${encodeURIComponent(page)}`,
    }, 401);
  }

  /** Loads the signed-in person, or sends the browser to sign in and come back here. */
  const requireSignedIn: AccountStep = async function requireSignedIn(ctx, next) {
    const session = await provider.Session.get(ctx);
    const user = session.accountId ? await users.findById(session.accountId) : undefined;
    if (!user || user.status !== 'active') {
      if (ctx.method === 'GET' || ctx.method === 'HEAD') redirectToSignIn(ctx, ctx.path);
      else await answerSignedOut(ctx);
      return;
    }
    ctx.state.account = { user, sessionId: session.jti };
    await next();
  };

  const startSignIn: AccountStep = async function startSignIn(ctx) {
    signIn.start(ctx, ctx.query.return);
  };

  const finishSignIn: AccountStep = async function finishSignIn(ctx) {
    const outcome = await signIn.finish(ctx);
    if (!outcome.ok) {
      await renderer.render(ctx, 'account/sign-in-failed', { title: 'You are not signed in', message: outcome.message, signInPath: ACCOUNT_PATHS.signIn }, 400);
      return;
    }
    ctx.status = 303;
    ctx.redirect(outcome.returnTo);
  };

  return { requireSignedIn, startSignIn, finishSignIn };
}
