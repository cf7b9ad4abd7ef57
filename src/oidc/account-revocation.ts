// Ends what an account holds at the provider: its grants, with the tokens issued under them, and
// its sessions (after a password reset or change, a deactivation, a deletion). Goes through
// oidc-provider's own adapters, so it reaches whichever store holds each model (Postgres, or
// Redis for the short-lived ones).
import type Provider from 'oidc-provider';
import type { RevokeAccountTokens } from '../services/account-revocation.js';
import type { Database } from '../storage/db.js';
import { findAccountSessionIds } from '../storage/repositories/account-sessions.js';
import { findPayloadIdsByAccountId } from '../storage/repositories/oidc-payloads.js';
import { revokeGrant } from './revoke-grant.js';
import type { SessionEnder } from './session-ending.js';


/**
 * Grants are always in Postgres, so they are found there by accountId; revokeByGrantId on each
 * grantable model's adapter then removes their tokens from either store. Sessions are found
 * through the account_sessions index (see adapters/session-index.ts), and in oidc_payloads for
 * any written before the index existed, and ended through the SessionEnder (back-channel logout).
 */
export function createAccountRevoker(provider: Provider, database: Database, sessions: SessionEnder): RevokeAccountTokens {
  async function grantsKeptBy(sessionId: string | undefined): Promise<Set<string>> {
    if (!sessionId) return new Set();
    const kept = await provider.Session.find(sessionId);
    const authorizations = (kept?.authorizations ?? {}) as Record<string, { grantId?: string }>;
    return new Set(Object.values(authorizations).flatMap((entry) => (entry.grantId ? [entry.grantId] : [])));
  }

  return async function revokeAccountTokens(accountId, options = {}) {
    const keptGrants = await grantsKeptBy(options.exceptSessionId);
    const grantIds = await findPayloadIdsByAccountId(database, 'Grant', accountId);
    for (const grantId of grantIds) {
      if (!keptGrants.has(grantId)) await revokeGrant(provider, grantId);
    }
    const sessionIds = new Set([
      ...await findAccountSessionIds(database, accountId),
      ...await findPayloadIdsByAccountId(database, 'Session', accountId),
    ]);
    sessionIds.delete(options.exceptSessionId ?? '');
    // Each session's apps hear of it by back-channel logout; the Session adapter drops the index entry.
    await sessions.endSessions(sessionIds, options.reason ?? 'account-ended');
  };
}
