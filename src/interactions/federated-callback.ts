// GET /federation/:provider/callback — where every upstream sends the browser back. The state
// cookie must exist, have been issued for this very provider (mix-up defence: each provider has
// its own callback path) and match `state`; only then is the code spent and the ID token checked.
// Every failure is a readable page, never a 500. A sign-in continues on the interaction's own
// path (federated.ts); linking from the account page finishes here.
import Router, { type RouterMiddleware } from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { ACCOUNT_PATHS, FEDERATION_CALLBACK_PREFIX, federationCallbackPath } from '../paths.js';
import type { FederationCookies, FederationState } from '../http/federation-cookie.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { AuditLog } from '../services/audit.js';
import type { FederatedAccounts } from '../services/federated-accounts.js';
import { FederationError, type Upstream, type UpstreamIdentity } from '../services/federation.js';
import { safeEqual } from '../crypto/safe-equal.js';

const EXPIRED = 'This sign-in has expired or was started in another browser. Start again.';

export interface FederationCallbackDeps {
  provider: Provider;
  issuer: string;
  upstreams: readonly Upstream[];
  federatedAccounts: FederatedAccounts;
  cookies: FederationCookies;
  audit: AuditLog;
  renderer: Renderer;
}

export function createFederationCallbackRouter(deps: FederationCallbackDeps): Router {
  const { provider, issuer, upstreams, federatedAccounts, cookies, audit, renderer } = deps;

  function backOf(state: FederationState | undefined): { backPath: string; backLabel: string } {
    if (state?.purpose === 'login') return { backPath: `/interaction/${encodeURIComponent(state.uid)}`, backLabel: 'Back to sign in' };
    return { backPath: ACCOUNT_PATHS.home, backLabel: 'Go to your account' };
  }

  async function renderFailure(ctx: Koa.Context, state: FederationState | undefined, message: string, status: number): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    await renderer.render(ctx, 'interaction/federated-failed', { title: 'Sign-in did not complete', message, ...backOf(state) }, status);
  }

  function recordFailure(ctx: Koa.Context, providerId: string, reason: string): Promise<void> {
    return audit.record({ type: 'login.failure', outcome: 'failure', ...requestMeta(ctx), detail: { method: 'federated', provider: providerId, reason } });
  }

  async function finishLink(ctx: Koa.Context, state: Extract<FederationState, { purpose: 'link' }>, identity: UpstreamIdentity): Promise<void> {
    const session = await provider.Session.get(ctx);
    if (session.accountId !== state.accountId) return renderFailure(ctx, state, EXPIRED, 400);
    const outcome = await federatedAccounts.link(state.accountId, identity);
    await audit.record({
      type: 'federation.linked', outcome: outcome.ok ? 'success' : 'failure', accountId: state.accountId, email: identity.email, ...requestMeta(ctx),
      detail: { provider: identity.providerId, during: 'account', ...(outcome.ok ? {} : { reason: outcome.reason }) },
    });
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.signInMethods}?notice=${outcome.ok ? 'linked' : outcome.reason}`);
  }

  const handleCallback: RouterMiddleware = async function handleFederationCallback(ctx) {
    const upstream = upstreams.find((candidate) => federationCallbackPath(candidate.id) === ctx.path);
    const state = cookies.takeState(ctx);
    const returnedState = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    if (!upstream || !state || state.provider !== upstream.id || !safeEqual(returnedState, state.state)) {
      await recordFailure(ctx, upstream?.id ?? 'unknown', state && upstream && state.provider !== upstream.id ? 'provider_mismatch' : 'state_mismatch');
      return renderFailure(ctx, state, EXPIRED, 400);
    }
    if (typeof ctx.query.error === 'string') {
      await recordFailure(ctx, upstream.id, ctx.query.error === 'access_denied' ? 'denied' : 'upstream_error');
      const message = ctx.query.error === 'access_denied'
        ? `Signing in with ${upstream.displayName} was cancelled.`
        : `${upstream.displayName} could not sign you in. Try again, or sign in another way.`;
      return renderFailure(ctx, state, message, 400);
    }
    let identity: UpstreamIdentity;
    try {
      identity = await upstream.finish(new URL(`${issuer}${ctx.originalUrl}`), state);
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      await recordFailure(ctx, upstream.id, error.failure === 'unavailable' ? 'upstream_unavailable' : 'invalid_response');
      return renderFailure(ctx, state, error.message, error.status);
    }
    if (state.purpose === 'link') return finishLink(ctx, state, identity);
    cookies.writeIdentity(ctx, { uid: state.uid, identity });
    ctx.status = 303;
    ctx.redirect(`/interaction/${encodeURIComponent(state.uid)}/federated`);
  };

  const router = new Router();
  router.get(`${FEDERATION_CALLBACK_PREFIX}/:provider/callback`, handleCallback);
  return router;
}
