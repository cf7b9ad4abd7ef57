// /account/apps: the apps the person allowed (their remembered consent), what each may do in plain
// words, when it was allowed and last used; "Remove access" forgets the consent and ends that
// app's grants and refresh tokens for the person (services/consents.ts), audited as
// consent.revoked. The app's next sign-in asks for consent again (ASVS 5.0 V10.7.3).
import type Provider from 'oidc-provider';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { formProblem, noProblems, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { describeClaims, describeResourceScopes, describeScopes } from '../http/scope-words.js';
import { utcTime } from '../http/utc-time.js';
import type { AppConsent, Consents } from '../services/consents.js';
import { accountOf, noticeOf, type AccountContext, type AccountStep } from './steps.js';

const NOTICES: Record<string, string> = {
  removed: 'Access was removed. The app was signed out of your account, and will ask for your permission again if you use it.',
  'already-removed': 'That app had no access to remove.',
};

// A client_id as Gatehouse issues one, or as an administrator may name one: printable, bounded.
const CLIENT_ID = /^[\x21-\x7E]{1,200}$/;

export function createAppsSteps(deps: { consents: Consents; provider: Provider; renderer: Renderer; csrf: Csrf }) {
  const { consents, provider, renderer, csrf } = deps;

  async function toView(consent: AppConsent) {
    const client = await provider.Client.find(consent.clientId).catch(() => undefined);
    return {
      clientId: consent.clientId,
      name: String(client?.clientName ?? consent.clientId),
      allowed: [
        ...describeScopes(consent.scopes),
        ...describeResourceScopes(consent.resourceScopes),
        // A claim named like a scope already listed (organizations) is said once, by the scope.
        ...describeClaims(consent.claims.filter((claim) => !consent.scopes.includes(claim))),
      ],
      grantedAt: utcTime(consent.grantedAt),
      lastUsedAt: consent.lastUsedAt ? utcTime(consent.lastUsedAt) : null,
    };
  }

  async function renderApps(ctx: AccountContext, problems: FormProblems<'client'>, status: number): Promise<void> {
    const { user } = accountOf(ctx);
    const apps = [];
    for (const consent of await consents.list(user.id)) apps.push(await toView(consent));
    await renderer.render(ctx, 'account/apps', {
      title: 'Apps you allowed',
      notice: noticeOf(ctx, NOTICES),
      apps,
      errors: problems.summary,
      csrfToken: csrf.issue(ctx),
      paths: ACCOUNT_PATHS,
    }, status);
  }

  const showApps: AccountStep = async function showApps(ctx) {
    await renderApps(ctx, noProblems(), 200);
  };

  const removeApp: AccountStep = async function removeApp(ctx) {
    const { user } = accountOf(ctx);
    const clientId = formOf(ctx).get('client') ?? '';
    if (!CLIENT_ID.test(clientId)) return renderApps(ctx, formProblem('Choose an app to remove.', 'client'), 400);
    const removed = await consents.revoke(user.id, clientId, requestMeta(ctx));
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.apps}?notice=${removed ? 'removed' : 'already-removed'}`);
  };

  return { showApps, removeApp };
}
