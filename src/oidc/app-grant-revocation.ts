// Ends what one app holds for one person, when they remove its access on /account/apps: every
// grant of that client for that account, with its codes, access and refresh tokens, through the
// provider's own adapters so it reaches whichever store holds each model. Grants are always in
// Postgres (adapters/index.ts), so they are found there. The person's sessions stay signed in;
// a session's entry for the app names a grant that is gone, so the app's next sign-in asks again.
import type { AdapterFactory } from 'oidc-provider';
import type { RevokeAppGrants } from '../services/consents.js';
import type { Database } from '../storage/db.js';
import { findGrantIdsOfAccountAndClient } from '../storage/repositories/oidc-payloads.js';
import { revokeGrantIn } from './revoke-grant.js';

export function createAppGrantRevoker(deps: { adapters: AdapterFactory; database: Database }): RevokeAppGrants {
  const { adapters, database } = deps;
  return async function revokeAppGrants(accountId, clientId) {
    const grantIds = await findGrantIdsOfAccountAndClient(database, accountId, clientId);
    for (const grantId of grantIds) await revokeGrantIn(adapters, grantId);
    return grantIds.length;
  };
}
