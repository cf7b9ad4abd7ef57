// Ends what a deleted client holds at the provider, through the provider's own adapters so it
// reaches whichever store holds each model. Grants are always in Postgres, found there by client;
// revokeByGrantId on each grantable model's adapter then removes their codes, access and refresh
// tokens from either store. Client-credentials tokens have no grant: those in Postgres are found
// by client and destroyed; Redis keeps no index of them by client, so they die at introspection
// instead (options.ts refuses to introspect a token whose client is gone) and expire within
// ttlSeconds.clientCredentials. Sessions keep their entry for the client until they end: it names
// a grant that is gone, and a client that is gone receives no back-channel logout.
import type { AdapterFactory } from 'oidc-provider';
import type { RevokeClientTokens } from '../services/client-revocation.js';
import type { Database } from '../storage/db.js';
import { findPayloadIdsByClientId } from '../storage/repositories/oidc-payloads.js';
import { revokeGrantIn } from './revoke-grant.js';

export function createClientRevoker(deps: { adapters: AdapterFactory; database: Database }): RevokeClientTokens {
  const { adapters, database } = deps;
  return async function revokeClientTokens(clientId) {
    const grantIds = await findPayloadIdsByClientId(database, 'Grant', clientId);
    for (const grantId of grantIds) await revokeGrantIn(adapters, grantId);
    const clientCredentials = adapters('ClientCredentials');
    for (const id of await findPayloadIdsByClientId(database, 'ClientCredentials', clientId)) await clientCredentials.destroy(id);
    return { grants: grantIds.length };
  };
}
