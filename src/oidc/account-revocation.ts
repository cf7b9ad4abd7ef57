// Ends what an account holds at the provider: its grants, with the tokens issued under them, and
// its sessions (after a password reset or change, a deactivation, a deletion). Goes through the
// provider's own adapters, so it reaches whichever store holds each model (Postgres, or Redis for
// the short-lived ones).
import type { AdapterFactory } from 'oidc-provider';
import type { RevokeAccountTokens } from '../services/account-revocation.js';
import type { SessionService } from '../services/sessions.js';
import type { Database } from '../storage/db.js';
import { findPayloadIdsByAccountId } from '../storage/repositories/oidc-payloads.js';
import { revokeGrantIn } from './revoke-grant.js';

/**
 * Grants are always in Postgres, so they are found there by accountId; revokeByGrantId on each
 * grantable model's adapter then removes their tokens from either store. Sessions are found
 * through the account_sessions index (see adapters/session-index.ts), and in oidc_payloads for
 * any written before the index existed, and ended through the sessions service (back-channel
 * logout, audit, live events).
 */
export function createAccountRevoker(deps: {
  adapters: AdapterFactory; database: Database; sessions: SessionService;
  /** Personal access tokens end with everything else, unless a session is kept (the person is there to see them). */
  revokePersonalTokens?: (accountId: string, by: string) => Promise<number>;
}): RevokeAccountTokens {
  const { adapters, database, sessions } = deps;

  async function grantsKeptBy(sessionId: string | undefined): Promise<Set<string>> {
    if (!sessionId) return new Set();
    const kept = await adapters('Session').find(sessionId);
    const authorizations = (kept?.authorizations ?? {}) as Record<string, { grantId?: string }>;
    return new Set(Object.values(authorizations).flatMap((entry) => (entry.grantId ? [entry.grantId] : [])));
  }

  return async function revokeAccountTokens(accountId, options = {}) {
    const keptGrants = await grantsKeptBy(options.exceptSessionId);
    const grantIds = (await findPayloadIdsByAccountId(database, 'Grant', accountId)).filter((grantId) => !keptGrants.has(grantId));
    for (const grantId of grantIds) await revokeGrantIn(adapters, grantId);
    const sessionIds = new Set([
      ...await sessions.idsOf(accountId),
      ...await findPayloadIdsByAccountId(database, 'Session', accountId),
    ]);
    sessionIds.delete(options.exceptSessionId ?? '');
    // Each session's apps hear of it by back-channel logout; the Session adapter drops the index entry.
    const ended = await sessions.endEach(sessionIds, options.reason ?? 'account-ended', { by: options.by });
    if (!options.exceptSessionId) await deps.revokePersonalTokens?.(accountId, options.by ?? options.reason ?? 'account-ended');
    return { sessions: ended, grants: grantIds.length };
  };
}
