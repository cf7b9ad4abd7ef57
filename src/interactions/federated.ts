// Sign-in through an upstream identity provider, inside one interaction. The login page
// posts the chosen provider here; the browser goes to the upstream with state, nonce and PKCE;
// federated-callback.ts checks the answer and leaves the verified identity in a cookie on this
// interaction's path; continueFederatedLogin then signs in to the linked account, creates one, or
// — when the address already has an account — asks for that account's password before linking.
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { upstreamIdentitySchema, type FederationCookies } from '../http/federation-cookie.js';
import { formProblem, isWithinPasswordByteLimit, noProblems, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import type { AuditLog } from '../services/audit.js';
import type { FederatedAccounts } from '../services/federated-accounts.js';
import type { Upstream, UpstreamIdentity } from '../services/federation.js';
import type { SignInMethod, SignInService } from '../services/sign-in.js';
import type { User, UserService } from '../services/users.js';
import { clientIdOf, interactionOf, type InteractionStep, type StepContext } from './load-interaction.js';
import { PASSWORD_BLOCKED, refusalProblem } from './login.js';
import type { FirstFactor, LinkIdentity } from './second-factor.js';
import { clientDisplayName, interactionPaths } from './view-models.js';

const PENDING_LINK = 'pendingFederatedLink';
const pendingLinkSchema = z.object({ accountId: z.string().min(1), identity: upstreamIdentitySchema });
type PendingLink = z.infer<typeof pendingLinkSchema>;

const REFUSALS = {
  'unverified-email': (name: string) => `${name} did not confirm an email address for you, so no account was created. Sign in with your password, then add ${name} on your account page.`,
  'creation-off': (name: string) => `There is no account for your ${name} sign-in, and new accounts cannot be created this way. Sign in with your password, then add ${name} on your account page.`,
  inactive: () => 'This account cannot sign in. Ask the administrator for help.',
} as const;

export interface FederatedStepsDeps {
  provider: Provider;
  upstreams: readonly Upstream[];
  federatedAccounts: FederatedAccounts;
  users: UserService;
  signIn: SignInService;
  /** This browser's device-cookie id, if it has one (the login guard's source). */
  readDeviceId: (ctx: StepContext) => string | undefined;
  audit: AuditLog;
  renderer: Renderer;
  csrf: Csrf;
  cookies: FederationCookies;
  afterFirstFactor: (ctx: StepContext, user: User, factor: FirstFactor) => Promise<void>;
}

/** How the audit trail names a sign-in through an upstream. */
function federatedMethod(identity: UpstreamIdentity): SignInMethod {
  return { method: 'federated', provider: identity.providerId };
}

export function createFederatedSteps(deps: FederatedStepsDeps) {
  const { provider, upstreams, federatedAccounts, users, signIn, readDeviceId, audit, renderer, csrf, cookies, afterFirstFactor } = deps;
  const upstreamNamed = (id: string | undefined) => upstreams.find((upstream) => upstream.id === id);
  const displayNameOf = (id: string) => upstreamNamed(id)?.displayName ?? id;

  function recordLogin(ctx: StepContext, identity: UpstreamIdentity, accountId: string | undefined, reason?: string): Promise<void> {
    const detail = federatedMethod(identity);
    return audit.record({
      type: reason ? 'login.failure' : 'login.success', outcome: reason ? 'failure' : 'success', accountId, email: identity.email,
      clientId: clientIdOf(ctx), ...requestMeta(ctx), detail: reason ? { ...detail, reason } : detail,
    });
  }

  async function renderFailure(ctx: StepContext, message: string, status: number): Promise<void> {
    await renderer.render(ctx, 'interaction/federated-failed', {
      title: 'Sign-in did not complete', message, backPath: interactionPaths(interactionOf(ctx).uid).prompt, backLabel: 'Back to sign in',
    }, status);
  }

  /** POST /interaction/:uid/federated: off to the chosen upstream. */
  const startFederatedLogin: InteractionStep = async function startFederatedLogin(ctx) {
    const upstream = upstreamNamed(formOf(ctx).get('provider') ?? undefined);
    if (!upstream) throw new AppError('That way of signing in is not offered here.', { status: 400, code: 'unknown_provider' });
    const unreachable = await cookies.redirectToUpstream(ctx, upstream, { purpose: 'login', uid: interactionOf(ctx).uid });
    if (unreachable) return renderFailure(ctx, unreachable.message, unreachable.status);
  };

  async function signInAs(ctx: StepContext, user: User, identity: UpstreamIdentity, extra: Partial<FirstFactor> = {}): Promise<void> {
    const upstream = upstreamNamed(identity.providerId);
    await afterFirstFactor(ctx, user, {
      amr: ['fed'], remember: false, idp: identity.providerId,
      upstreamMfa: upstream?.trustUpstreamMfa === true && identity.amr.includes('mfa'),
      ...extra,
    });
  }

  /** GET /interaction/:uid/federated: the callback's verified identity, applied to this interaction. */
  const continueFederatedLogin: InteractionStep = async function continueFederatedLogin(ctx) {
    const { uid } = interactionOf(ctx);
    const verified = cookies.takeIdentity(ctx, uid);
    if (!verified) {
      ctx.status = 303;
      ctx.redirect(interactionPaths(uid).prompt);
      return;
    }
    const { identity } = verified;
    const name = displayNameOf(identity.providerId);
    const outcome = await federatedAccounts.signIn(identity);
    if (outcome.kind === 'refused') {
      await recordLogin(ctx, identity, undefined, outcome.reason.replace('-', '_'));
      return renderFailure(ctx, REFUSALS[outcome.reason](name), 403);
    }
    if (outcome.user.status !== 'active') {
      await recordLogin(ctx, identity, outcome.user.id, 'inactive');
      return renderFailure(ctx, REFUSALS.inactive(), 403);
    }
    if (outcome.kind === 'link-required') {
      const pending: PendingLink = { accountId: outcome.user.id, identity };
      await provider.interactionResult(ctx.req, ctx.res, { [PENDING_LINK]: pending }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(interactionPaths(uid).prompt);
      return;
    }
    if (outcome.kind === 'created') {
      const origin = requestMeta(ctx);
      const base = { outcome: 'success', accountId: outcome.user.id, email: outcome.user.email, clientId: clientIdOf(ctx), ...origin } as const;
      await audit.record({ ...base, type: 'registration', detail: { method: 'federated', provider: identity.providerId } });
      await audit.record({ ...base, type: 'federation.linked', detail: { provider: identity.providerId, during: 'registration' } });
    }
    await signInAs(ctx, outcome.user, identity);
    await recordLogin(ctx, identity, outcome.user.id);
  };

  function pendingLinkOf(ctx: StepContext): PendingLink | undefined {
    const parsed = pendingLinkSchema.safeParse(interactionOf(ctx).result?.[PENDING_LINK]);
    return parsed.success ? parsed.data : undefined;
  }

  async function renderLink(ctx: StepContext, pending: PendingLink, user: User, problems: FormProblems<'password'>, status: number): Promise<void> {
    const interaction = interactionOf(ctx);
    allowFormTarget(ctx, interaction.params.redirect_uri as string | undefined);
    await renderer.render(ctx, 'interaction/federated-link', {
      title: `Link ${displayNameOf(pending.identity.providerId)} to your account`,
      providerName: displayNameOf(pending.identity.providerId),
      clientName: await clientDisplayName(provider, interaction),
      email: user.email,
      paths: interactionPaths(interaction.uid),
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
    }, status);
  }

  /** GET /interaction/:uid: the "enter your password to link" page while one is pending, else `next`. */
  function showLinkOr(next: InteractionStep): InteractionStep {
    return async function showFederatedLinkOrNext(ctx, nextMiddleware) {
      const pending = pendingLinkOf(ctx);
      const user = pending ? await users.findById(pending.accountId) : undefined;
      if (!pending || user?.status !== 'active') return next(ctx, nextMiddleware);
      return renderLink(ctx, pending, user, noProblems(), 200);
    };
  }

  /**
   * POST /interaction/:uid/federated/link: the existing account's password (with the same limits
   * and lockout as the password form), then its second factor if it has one; the identity is
   * linked only when the last factor finishes the login (second-factor.ts).
   */
  const handleLink: InteractionStep = async function handleLink(ctx) {
    const pending = pendingLinkOf(ctx);
    const user = pending ? await users.findById(pending.accountId) : undefined;
    if (!pending || user?.status !== 'active') {
      ctx.status = 303;
      ctx.redirect(interactionPaths(interactionOf(ctx).uid).prompt);
      return;
    }
    const password = formOf(ctx).get('password') ?? '';
    if (password === '' || !isWithinPasswordByteLimit(password)) return renderLink(ctx, pending, user, formProblem('Enter your password.', 'password'), 400);
    const outcome = await signIn.withPassword(user.email, password, { ...requestMeta(ctx), deviceId: readDeviceId(ctx) }, {
      clientId: clientIdOf(ctx), accountId: user.id, audit: { email: pending.identity.email, detail: federatedMethod(pending.identity) },
    });
    switch (outcome.kind) {
      case 'limited':
        ctx.set('Retry-After', String(outcome.retryAfterSeconds));
        return renderLink(ctx, pending, user, refusalProblem(outcome), 429);
      case 'busy': return renderLink(ctx, pending, user, formProblem(outcome.message), 503);
      case 'signed-in': return signInAs(ctx, user, pending.identity, { amr: ['fed', 'pwd'], link: pending.identity, upstreamMfa: false });
      case 'password-blocked': return renderLink(ctx, pending, user, formProblem(PASSWORD_BLOCKED, 'password'), 403);
      default: return renderLink(ctx, pending, user, formProblem('Incorrect password.', 'password'), 400);
    }
  };

  /** POST /interaction/:uid/federated/cancel: forget the pending link, back to the password form. */
  const cancelLink: InteractionStep = async function cancelLink(ctx) {
    await provider.interactionResult(ctx.req, ctx.res, {}, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(interactionPaths(interactionOf(ctx).uid).prompt);
  };

  return { startFederatedLogin, continueFederatedLogin, showLinkOr, handleLink, cancelLink };
}

/** Links an identity once the account's every factor was proven (second-factor.ts calls it). */
export function createIdentityLinker(deps: { federatedAccounts: FederatedAccounts; audit: AuditLog; upstreams: readonly Upstream[] }): LinkIdentity {
  const { federatedAccounts, audit, upstreams } = deps;
  return async function linkIdentity(ctx, accountId, identity) {
    const outcome = await federatedAccounts.link(accountId, identity);
    await audit.record({
      type: 'federation.linked', outcome: outcome.ok ? 'success' : 'failure', accountId, email: identity.email,
      clientId: clientIdOf(ctx),
      ...requestMeta(ctx), detail: { provider: identity.providerId, during: 'sign-in', ...(outcome.ok ? {} : { reason: outcome.reason }) },
    });
    if (outcome.ok) return;
    const name = upstreams.find((upstream) => upstream.id === identity.providerId)?.displayName ?? identity.providerId;
    throw new AppError(`This ${name} sign-in is already linked to another account, or this account already has one.`, { status: 409, code: 'conflict' });
  };
}
