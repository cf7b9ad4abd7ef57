// The consent step: show what the client asks for, and record the person's answer as a Grant,
// as node-oidc-provider's example/routes/koa.js does, and as the person's remembered consent for
// the app (services/consents.ts), so that a later sign-in asks only for what is new.
import type Provider from 'oidc-provider';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { allowFormTarget } from '../http/security-headers.js';
import type { AuditLog } from '../services/audit.js';
import type { ConsentedAccess, Consents } from '../services/consents.js';
import type { UserService } from '../services/users.js';
import type { Organisations } from '../services/organisations.js';
import { finishInteraction } from './finish.js';
import { InteractionExpiredError, interactionOf, type InteractionStep } from './load-interaction.js';
import {
  clientDisplayName, describeClaims, describeResourceScopes, describeScopes, interactionPaths, stringList,
} from './view-models.js';

function resourceScopesOf(value: unknown): Record<string, string[]> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([resource, scopes]) => [resource, stringList(scopes)]));
}

export function createConsentSteps(deps: {
  provider: Provider; users: UserService; audit: AuditLog; renderer: Renderer; csrf: Csrf; organisations: Pick<Organisations, 'find'>;
  consents: Pick<Consents, 'remember'>;
}) {
  const { provider, users, renderer, csrf, organisations, consents } = deps;

  /** The organisation the app asks to sign the person in for (checked for membership before consent). */
  async function organisationName(interaction: { params: Record<string, unknown> }): Promise<string | null> {
    const id = interaction.params.organization;
    if (typeof id !== 'string') return null;
    return (await organisations.find(id))?.organisation.name ?? null;
  }

  const showConsent: InteractionStep = async function showConsent(ctx) {
    const interaction = interactionOf(ctx);
    const { details } = interaction.prompt;
    const accountId = interaction.session?.accountId;
    const user = accountId ? await users.findById(accountId) : undefined;
    allowFormTarget(ctx, interaction.params.redirect_uri as string | undefined);
    await renderer.render(ctx, 'interaction/consent', {
      title: 'Allow access',
      clientName: await clientDisplayName(provider, interaction),
      accountEmail: user?.email ?? null,
      scopes: [
        ...describeScopes(stringList(details.missingOIDCScope)),
        ...describeResourceScopes(resourceScopesOf(details.missingResourceScopes)),
      ],
      // A claim named like a scope asked for here (organizations) is said once, by the scope.
      claims: describeClaims(stringList(details.missingOIDCClaims).filter((claim) => !stringList(details.missingOIDCScope).includes(claim))),
      organisationName: await organisationName(interaction),
      extendsEarlierConsent: Boolean(interaction.grantId),
      paths: interactionPaths(interaction.uid),
      csrfToken: csrf.issue(ctx),
    });
  };

  const handleConsent: InteractionStep = async function handleConsent(ctx) {
    const interaction = interactionOf(ctx);
    const { details } = interaction.prompt;
    const accountId = interaction.session?.accountId;
    if (!accountId) throw new InteractionExpiredError();
    // Extend the grant this client already holds for the session, or start one.
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (!grant) throw new InteractionExpiredError();

    const missingScope = stringList(details.missingOIDCScope);
    if (missingScope.length > 0) grant.addOIDCScope(missingScope.join(' '));
    const missingClaims = stringList(details.missingOIDCClaims);
    if (missingClaims.length > 0) grant.addOIDCClaims(missingClaims);
    for (const [indicator, scopes] of Object.entries(resourceScopesOf(details.missingResourceScopes))) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const granted: ConsentedAccess = {
      scopes: grant.getOIDCScope().split(' ').filter(Boolean),
      claims: grant.getOIDCClaims(),
      resourceScopes: Object.fromEntries(Object.keys(grant.resources ?? {}).map((indicator) => [indicator, grant.getResourceScope(indicator).split(' ').filter(Boolean)])),
    };
    const added: ConsentedAccess = { scopes: missingScope, claims: missingClaims, resourceScopes: resourceScopesOf(details.missingResourceScopes) };
    // Remembered and audited (consent.granted) in one transaction.
    await consents.remember({ accountId, clientId: grant.clientId!, grantId, granted, added, origin: requestMeta(ctx) });
    // Merged with the login result of the earlier step: with prompt=login, a consent result
    // alone would leave the login prompt unresolved and ask for the password again.
    await finishInteraction(ctx, provider, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };

  return { showConsent, handleConsent };
}
