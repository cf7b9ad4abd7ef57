// The provider's side of ending a session for Gatehouse's own reasons (the person on
// /account/sessions, an admin, a password reset, the session limit): the SessionEnder port of
// services/sessions.ts. In an order that never leaves an app uninformed: first every client with a
// backchannel_logout_uri gets a notice queued in the durable outbox, then the session's grants are
// revoked as the client's policy says, then the session goes. It works on the provider's stores
// (the adapters), not on a Provider instance, so services can be built before the provider.
// RP-initiated logout is oidc-provider's own (end_session), routed to the same outbox.
import type { AdapterFactory } from 'oidc-provider';
import type { SessionEnder } from '../services/sessions.js';
import type { LogoutOutbox } from './backchannel-logout.js';
import type { Database } from '../storage/db.js';
import { deleteAccountSession } from '../storage/repositories/account-sessions.js';
import { revokeGrantIn } from './revoke-grant.js';

interface Authorization { grantId?: string; sid?: string; persistsLogout?: boolean }

export interface SessionEnderDeps {
  /** The provider's stores. */
  adapters: AdapterFactory;
  database: Database;
  outbox: LogoutOutbox;
  /** sessions.revokeRefreshTokensOnEnd for this client: revoke even an offline_access grant. */
  revokesOfflineGrants: (clientId: string) => boolean;
}

export function createSessionEnder(deps: SessionEnderDeps): SessionEnder {
  const { adapters, database, outbox, revokesOfflineGrants } = deps;
  const sessions = adapters('Session');
  const clients = adapters('Client');

  /** Whether the client registered a backchannel_logout_uri; a client that is gone has none. */
  async function takesBackchannelLogout(clientId: string): Promise<boolean> {
    const client = await clients.find(clientId).catch(() => undefined);
    return typeof client?.backchannel_logout_uri === 'string' && client.backchannel_logout_uri !== '';
  }

  async function destroy(sessionId: string): Promise<void> {
    await sessions.destroy(sessionId);
    await deleteAccountSession(database, sessionId);
  }

  return {
    async end(sessionId, reason) {
      const payload = await sessions.find(sessionId);
      const accountId = payload?.accountId;
      if (!payload || typeof accountId !== 'string') {
        await destroy(sessionId);
        return undefined;
      }
      const authorizations = Object.entries((payload.authorizations ?? {}) as Record<string, Authorization>);
      const notified = [];
      for (const [clientId, authorization] of authorizations) {
        if (await takesBackchannelLogout(clientId)) notified.push({ clientId, accountId, sid: authorization.sid, reason });
      }
      await outbox.enqueue(notified);
      for (const [clientId, { grantId, persistsLogout }] of authorizations) {
        // Like RP-initiated logout, an offline_access grant outlives the session unless the
        // client's policy says otherwise (its refresh tokens are then revoked with the grant).
        if (grantId && (!persistsLogout || revokesOfflineGrants(clientId))) await revokeGrantIn(adapters, grantId);
      }
      await destroy(sessionId);
      return { accountId, sessionUid: String(payload.uid ?? ''), clientIds: authorizations.map(([clientId]) => clientId), notified: notified.length };
    },
  };
}
