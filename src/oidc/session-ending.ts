// Ends one signed-in session for Gatehouse's own reasons (the person on /account/sessions, an
// admin, a password reset, the session limit), in an order that never leaves an app uninformed:
// first every client with a backchannel_logout_uri gets a notice queued in the durable outbox,
// then the session's grants are revoked as the client's policy says, then the session goes.
// RP-initiated logout is oidc-provider's own (end_session), routed to the same outbox.
import type Provider from 'oidc-provider';
import { currentRequestOrigin } from '../http/request-context.js';
import type { AuditLog } from '../services/audit.js';
import type { SessionEventBus } from '../services/session-events.js';
import type { LogoutOutbox } from './backchannel-logout.js';
import { takesBackchannelLogout } from './backchannel-logout.js';
import { revokeGrant } from './revoke-grant.js';

/** Why a session ended, as events, the audit trail and the outbox record it. */
export type SessionEndReason =
  | 'signed-out' | 'signed-out-elsewhere' | 'admin' | 'session-limit' | 'password-reset' | 'password-changed' | 'account-closed' | 'account-ended';

export interface EndedSession {
  accountId: string;
  sessionUid: string;
  clientIds: string[];
}

interface Authorization { grantId?: string; sid?: string; persistsLogout?: boolean }

export interface SessionEnderDeps {
  provider: Provider;
  outbox: LogoutOutbox;
  events: SessionEventBus;
  audit: AuditLog;
  /** sessions.revokeRefreshTokensOnEnd for this client: revoke even an offline_access grant. */
  revokesOfflineGrants: (clientId: string) => boolean;
}

export function createSessionEnder(deps: SessionEnderDeps) {
  const { provider, outbox, events, audit, revokesOfflineGrants } = deps;

  /**
   * Ends the session; undefined when it was gone already (its index entry is dropped anyway).
   * `by` names who ended it when that is not the person (the audit row's `by`: admin-cli, or the
   * admin account of an admin API call).
   */
  async function endSession(sessionId: string, reason: SessionEndReason, by?: string): Promise<EndedSession | undefined> {
    const adapter = provider.Session.adapter;
    const payload = await adapter.find(sessionId);
    const accountId = payload?.accountId;
    if (!payload || typeof accountId !== 'string') {
      await adapter.destroy(sessionId);
      return undefined;
    }
    const authorizations = Object.entries((payload.authorizations ?? {}) as Record<string, Authorization>);
    const notified = [];
    for (const [clientId, authorization] of authorizations) {
      if (await takesBackchannelLogout(provider, clientId)) notified.push({ clientId, accountId, sid: authorization.sid, reason });
    }
    await outbox.enqueue(notified);
    for (const [clientId, { grantId, persistsLogout }] of authorizations) {
      // Like RP-initiated logout, an offline_access grant outlives the session unless the
      // client's policy says otherwise (its refresh tokens are then revoked with the grant).
      if (grantId && (!persistsLogout || revokesOfflineGrants(clientId))) await revokeGrant(provider, grantId);
    }
    await adapter.destroy(sessionId);
    const sessionUid = String(payload.uid ?? '');
    // Who asked (the request's address and browser), not the device whose session ended.
    await audit.record({
      type: 'session.ended', outcome: 'success', accountId, ...currentRequestOrigin(),
      detail: { reason, session: sessionUid, clients: authorizations.length, notified: notified.length, ...(by ? { by } : {}) },
    });
    await events.publish({ type: 'session.ended', accountId, sessionUid, at: new Date().toISOString(), reason });
    return { accountId, sessionUid, clientIds: authorizations.map(([clientId]) => clientId) };
  }

  async function endSessions(sessionIds: Iterable<string>, reason: SessionEndReason, by?: string): Promise<EndedSession[]> {
    const ended: EndedSession[] = [];
    for (const sessionId of sessionIds) {
      const result = await endSession(sessionId, reason, by);
      if (result) ended.push(result);
    }
    return ended;
  }

  return { endSession, endSessions };
}

export type SessionEnder = ReturnType<typeof createSessionEnder>;
