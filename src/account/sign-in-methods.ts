// /account/sign-in-methods: the password and the upstream identity providers linked to the
// account. Linking another sends the browser through that provider (the callback
// in interactions/federated-callback.ts links it) and, for an account with a password, asks for
// it first (ASVS 5.0 V6.2.3: a session alone must not add a way in). Unlinking never removes the
// account's last way to sign in.
import { BusyError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { FederationCookies } from '../http/federation-cookie.js';
import { formProblem, isWithinPasswordByteLimit, noProblems, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import type { AuditLog } from '../services/audit.js';
import type { FederatedAccounts } from '../services/federated-accounts.js';
import type { Upstream } from '../services/federation.js';
import type { Reauthenticate } from '../services/reauthentication.js';
import { CURRENT_PASSWORD_FIELD, reauthenticationProblem } from './reauthentication-problems.js';
import { noticeOf, accountOf, type AccountContext, type AccountStep } from './steps.js';

const NOTICES: Record<string, string> = {
  linked: 'The sign-in method was added. You can now sign in with it.',
  unlinked: 'The sign-in method was removed.',
  'linked-elsewhere': 'That sign-in is already linked to another Gatehouse account, so it was not added.',
  'provider-linked': 'Your account already has a sign-in with that provider. Remove it first to link a different one.',
  'last-method': 'That is the only way to sign in to your account, so it was not removed. Add another first, or set a password.',
  'not-found': 'That sign-in method was already removed.',
};

export function createSignInMethodsSteps(deps: {
  upstreams: readonly Upstream[]; federatedAccounts: FederatedAccounts; reauthenticate: Reauthenticate; audit: AuditLog;
  renderer: Renderer; csrf: Csrf; federationCookies: FederationCookies;
}) {
  const { upstreams, federatedAccounts, reauthenticate, audit, renderer, csrf, federationCookies } = deps;
  const nameOf = (id: string) => upstreams.find((upstream) => upstream.id === id)?.displayName ?? id;

  async function renderPage(ctx: AccountContext, problems: FormProblems<typeof CURRENT_PASSWORD_FIELD>, status: number): Promise<void> {
    const { user } = accountOf(ctx);
    const [linked, hasPassword] = await Promise.all([federatedAccounts.list(user.id), federatedAccounts.hasPassword(user.id)]);
    const onlyMethod = !hasPassword && linked.length === 1;
    for (const upstream of upstreams) allowFormTarget(ctx, upstream.formTarget());
    await renderer.render(ctx, 'account/sign-in-methods', {
      title: 'Sign-in methods',
      notice: noticeOf(ctx, NOTICES),
      hasPassword,
      linked: linked.map((row) => ({
        id: row.id, name: nameOf(row.provider_id), email: row.email, linkedOn: row.created_at.toISOString().slice(0, 10), removable: !onlyMethod,
      })),
      available: upstreams.filter((upstream) => !linked.some((row) => row.provider_id === upstream.id)).map(({ id, displayName }) => ({ id, displayName })),
      paths: ACCOUNT_PATHS,
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
    }, status);
  }

  const showSignInMethods: AccountStep = async function showSignInMethods(ctx) {
    await renderPage(ctx, noProblems(), 200);
  };

  const startLink: AccountStep = async function startLink(ctx) {
    const { user } = accountOf(ctx);
    const form = formOf(ctx);
    const upstream = upstreams.find((candidate) => candidate.id === form.get('provider'));
    if (!upstream) return renderPage(ctx, formProblem('Choose one of the providers listed.'), 400);
    if (await federatedAccounts.hasPassword(user.id)) {
      const password = form.get(CURRENT_PASSWORD_FIELD) ?? '';
      if (password === '' || !isWithinPasswordByteLimit(password)) return renderPage(ctx, formProblem('Enter your current password.', CURRENT_PASSWORD_FIELD), 400);
      let outcome;
      try {
        outcome = await reauthenticate(user.id, password, { action: 'federation.linked', origin: requestMeta(ctx) });
      } catch (error) {
        if (!(error instanceof BusyError)) throw error;
        return renderPage(ctx, formProblem(error.message), 503);
      }
      if (!outcome.ok) {
        const { problems, status } = reauthenticationProblem(ctx, outcome);
        return renderPage(ctx, problems, status);
      }
    }
    const unreachable = await federationCookies.redirectToUpstream(ctx, upstream, { purpose: 'link', accountId: user.id });
    if (unreachable) return renderPage(ctx, formProblem(unreachable.message), unreachable.status);
  };

  const unlink: AccountStep = async function unlink(ctx) {
    const { user } = accountOf(ctx);
    const outcome = await federatedAccounts.unlink(user.id, formOf(ctx).get('identity') ?? '');
    if (outcome.ok || outcome.reason === 'last-method') {
      await audit.record({
        type: 'federation.unlinked', outcome: outcome.ok ? 'success' : 'failure', accountId: user.id, email: user.email, ...requestMeta(ctx),
        detail: outcome.ok ? { provider: outcome.identity.provider_id } : { reason: 'last_method' },
      });
    }
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.signInMethods}?notice=${outcome.ok ? 'unlinked' : outcome.reason}`);
  };

  return { showSignInMethods, startLink, unlink };
}
