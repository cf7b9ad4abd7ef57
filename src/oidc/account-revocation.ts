// Ends everything an account holds at the provider (after a password reset): every grant, with
// the tokens issued under it, and every session. Goes through oidc-provider's own adapters, so it
// reaches whichever store holds each model (Postgres, or Redis for the short-lived ones).
import type Provider from 'oidc-provider';
import type { Database } from '../storage/db.js';
import { findPayloadIdsByAccountId } from '../storage/repositories/oidc-payloads.js';
import { revokeGrant } from './revoke-grant.js';

/**
 * Grants are always in Postgres, so they are found there by accountId; revokeByGrantId on each
 * grantable model's adapter then removes their tokens from either store. Sessions are found in
 * Postgres too: with Redis they live there under keys that cannot be listed by account, and this
 * finds none of them (see README, "Password reset").
 */
export function createAccountRevoker(provider: Provider, database: Database): (accountId: string) => Promise<void> {
  return async function revokeAccountTokens(accountId: string): Promise<void> {
    const grantIds = await findPayloadIdsByAccountId(database, 'Grant', accountId);
    for (const grantId of grantIds) await revokeGrant(provider, grantId);
    const sessionIds = await findPayloadIdsByAccountId(database, 'Session', accountId);
    await Promise.all(sessionIds.map((id) => provider.Session.adapter.destroy(id)));
  };
}
