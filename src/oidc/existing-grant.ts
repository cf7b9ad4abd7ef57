// Which grant an authorization request starts from (oidc-provider's loadExistingGrant). The
// consent prompt then asks only for what that grant lacks, so a person is asked once per app, and
// again only for something new: the consent page names only the new scopes.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { ConsentedAccess } from '../services/consents.js';
import { grantRequested, isFirstParty } from './first-party.js';

/** What the person allowed this app before (services/consents.ts), outliving sessions and grants. */
export type RememberedConsent = (accountId: string, clientId: string) => Promise<ConsentedAccess | undefined>;

type Grant = InstanceType<KoaContextWithOIDC['oidc']['provider']['Grant']>;

function grantRemembered(grant: Grant, remembered: ConsentedAccess): void {
  if (remembered.scopes.length > 0) grant.addOIDCScope(remembered.scopes);
  if (remembered.claims.length > 0) grant.addOIDCClaims(remembered.claims);
  for (const [indicator, scopes] of Object.entries(remembered.resourceScopes)) {
    if (scopes.length > 0) grant.addResourceScope(indicator, scopes);
  }
}

/**
 * oidc-provider's default first: the grant the consent step just saved, or the one this session
 * already holds for the app (when it still exists). Else, for a first-party app, a grant of what
 * it asks for; else, for an app the person allowed before (a new session: after a sign-out, a
 * password reset, on another device), a fresh grant holding exactly what they allowed.
 */
export function createLoadExistingGrant(rememberedConsent: RememberedConsent): NonNullable<Configuration['loadExistingGrant']> {
  return async function loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const { client, session, result, provider } = oidc;
    const grantId = result?.consent?.grantId ?? session?.grantIdFor(client!.clientId);
    const held = grantId ? await provider.Grant.find(grantId) : undefined;
    const accountId = session?.accountId;
    if (result?.consent?.grantId || !client || !accountId) return held;
    if (isFirstParty(client)) {
      const grant = held ?? new provider.Grant({ clientId: client.clientId, accountId });
      const before = JSON.stringify([grant.openid, grant.resources]);
      grantRequested(grant, oidc);
      // Saved only when the request asked for something the grant lacked: one write per new ask.
      if (!held || JSON.stringify([grant.openid, grant.resources]) !== before) await grant.save();
      return grant;
    }
    if (held) return held;
    const remembered = await rememberedConsent(accountId, client.clientId);
    if (!remembered) return undefined;
    const grant = new provider.Grant({ clientId: client.clientId, accountId });
    grantRemembered(grant, remembered);
    await grant.save();
    return grant;
  };
}
