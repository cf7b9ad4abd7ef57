// The page shown when the signed-in person may not use the app (its required roles or groups,
// oidc/app-access.ts): it says so, names whom to ask, and sends the person back to the app,
// which gets access_denied with a description it can show.
import type Provider from 'oidc-provider';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import { NO_ACCESS_DESCRIPTION } from '../oidc/app-access.js';
import type { AuditLog } from '../services/audit.js';
import type { UserService } from '../services/users.js';
import { finishInteraction } from './finish.js';
import { interactionOf, type InteractionStep } from './load-interaction.js';
import { clientDisplayName, interactionPaths, stringList } from './view-models.js';

export function createAppAccessSteps(deps: { provider: Provider; users: UserService; audit: AuditLog; renderer: Renderer; csrf: Csrf }) {
  const { provider, users, renderer, csrf } = deps;

  const showNoAccess: InteractionStep = async function showNoAccess(ctx) {
    const interaction = interactionOf(ctx);
    const accountId = interaction.session?.accountId;
    const user = accountId ? await users.findById(accountId) : undefined;
    const client = await provider.Client.find(String(interaction.params.client_id ?? ''));
    allowFormTarget(ctx, interaction.params.redirect_uri as string | undefined);
    await renderer.render(ctx, 'interaction/no-access', {
      title: 'No access to this application',
      clientName: await clientDisplayName(provider, interaction),
      accountEmail: user?.email ?? null,
      // RFC 7591 contacts: the people responsible for the app, who can grant access.
      contacts: stringList(client?.contacts).slice(0, 3),
      paths: interactionPaths(interaction.uid),
      csrfToken: csrf.issue(ctx),
    }, 403);
  };

  const returnWithoutAccess: InteractionStep = async function returnWithoutAccess(ctx) {
    const interaction = interactionOf(ctx);
    await deps.audit.record({
      type: 'access.denied', outcome: 'failure', accountId: interaction.session?.accountId ?? null,
      clientId: String(interaction.params.client_id ?? '') || null, ...requestMeta(ctx), detail: { reason: 'no_app_access' },
    });
    await finishInteraction(ctx, provider, { error: 'access_denied', error_description: NO_ACCESS_DESCRIPTION }, { mergeWithLastSubmission: false });
  };

  return { showNoAccess, returnWithoutAccess };
}
