// Everything about an account's sign-in sessions: which it has (the account_sessions index, kept
// by the Session adapter wherever the sessions themselves live), ending one, the others or all of
// them, the ones about to expire, and the per-account limit. Pages, the admin API, both event
// streams and the CLI come here; ending itself goes through the SessionEnder port, which oidc/
// implements over the provider's stores (back-channel logout, grants, the session record).
import type { Database } from '../storage/db.js';
import {
  findAccountSession, findAccountSessionByUid, findAccountSessionIds, findSessionIdsBeyond, isSessionUid, listAccountSessions,
  listSessionsExpiringBy, type AccountSessionRow, type ExpiringSession,
} from '../storage/repositories/account-sessions.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { SessionEventBus } from './session-events.js';

export { isSessionUid };
/** One signed-in session as pages, the admin API and the CLI show it (named by uid, never by id). */
export type SignedInSession = AccountSessionRow;
export type { ExpiringSession };

/** Why a session ended, as events, the audit trail and the back-channel logout outbox record it. */
export type SessionEndReason =
  | 'signed-out' | 'signed-out-elsewhere' | 'admin' | 'session-limit' | 'password-reset' | 'password-changed' | 'account-closed' | 'account-ended';

export interface EndedSession {
  accountId: string;
  sessionUid: string;
  clientIds: string[];
}

/**
 * The port oidc/ implements: ends one session at the provider, in an order that never leaves an
 * app uninformed (logout notices queued first, then the grants the client's policy says, then the
 * session). Undefined when the session was gone already.
 */
export interface SessionEnder {
  end(sessionId: string, reason: SessionEndReason): Promise<(EndedSession & { notified: number }) | undefined>;
}

/** A session the Session adapter indexed for the first time under an account: a sign-in. */
export interface NewSignIn {
  accountId: string;
  sessionId: string;
  sessionUid: string;
  expiresInSeconds: number;
}

export interface SessionServiceDeps {
  database: Database;
  ender: SessionEnder;
  events: SessionEventBus;
  audit: AuditLog;
  /** sessions.maxPerAccount: a sign-in beyond it ends the oldest. */
  maxPerAccount: number;
  /** Who is asking, when a request is (its address and browser go into the audit row). */
  originOfCurrentRequest: () => RequestOrigin | undefined;
}

/** `by` names who ended a session when that is not the person: admin-cli, or admin:<account id>. */
export interface EndOptions {
  by?: string | undefined;
}

export function createSessionService(deps: SessionServiceDeps) {
  const { database, ender, events, audit, maxPerAccount, originOfCurrentRequest } = deps;

  async function end(sessionId: string, reason: SessionEndReason, options: EndOptions = {}): Promise<EndedSession | undefined> {
    const ended = await ender.end(sessionId, reason);
    if (!ended) return undefined;
    const { accountId, sessionUid, clientIds, notified } = ended;
    await audit.record({
      type: 'session.ended', outcome: 'success', accountId, ...originOfCurrentRequest(),
      detail: { reason, session: sessionUid, clients: clientIds.length, notified, ...(options.by ? { by: options.by } : {}) },
    });
    await events.publish({ type: 'session.ended', accountId, sessionUid, at: new Date().toISOString(), reason });
    return { accountId, sessionUid, clientIds };
  }

  async function findByUid(accountId: string, sessionUid: string): Promise<SignedInSession | undefined> {
    return isSessionUid(sessionUid) ? findAccountSessionByUid(database, accountId, sessionUid) : undefined;
  }

  async function endEach(sessionIds: Iterable<string>, reason: SessionEndReason, options?: EndOptions): Promise<EndedSession[]> {
    const ended: EndedSession[] = [];
    for (const sessionId of sessionIds) {
      const result = await end(sessionId, reason, options);
      if (result) ended.push(result);
    }
    return ended;
  }

  return {
    /** The account's live sessions, newest sign-in first. */
    list: (accountId: string): Promise<SignedInSession[]> => listAccountSessions(database, accountId),
    /** One live session of the account by the uid pages name it with; undefined for junk or none. */
    findByUid,
    /** One live session of the account by its id (the server-side key, never shown). */
    find: (accountId: string, sessionId: string): Promise<SignedInSession | undefined> => findAccountSession(database, accountId, sessionId),
    /** Ids of every live session of the account. */
    idsOf: (accountId: string): Promise<string[]> => findAccountSessionIds(database, accountId),
    /** Live sessions of every account that expire by `until`, soonest first. */
    expiringBy: (until: Date, limit: number): Promise<ExpiringSession[]> => listSessionsExpiringBy(database, until, limit),

    end,
    endEach,
    /** The account's session named by uid; 'not-found' when it has none by that uid (or it ended). */
    async endByUid(accountId: string, sessionUid: string, reason: SessionEndReason, options?: EndOptions): Promise<EndedSession | 'not-found'> {
      const session = await findByUid(accountId, sessionUid);
      if (!session) return 'not-found';
      return (await end(session.sessionId, reason, options)) ?? 'not-found';
    },
    /** Every session of the account but `keepSessionId` (the browser asking). */
    async endOthers(accountId: string, keepSessionId: string, reason: SessionEndReason, options?: EndOptions): Promise<EndedSession[]> {
      const others = (await findAccountSessionIds(database, accountId)).filter((id) => id !== keepSessionId);
      return endEach(others, reason, options);
    },
    async endAll(accountId: string, reason: SessionEndReason, options?: EndOptions): Promise<EndedSession[]> {
      return endEach(await findAccountSessionIds(database, accountId), reason, options);
    },

    /** A sign-in: announced on the live streams, then the oldest sign-ins beyond the limit end (with back-channel logout). */
    async recordSignIn(session: NewSignIn): Promise<void> {
      const { accountId, sessionId, sessionUid, expiresInSeconds } = session;
      await events.publish({ type: 'session.created', accountId, sessionUid, at: new Date(Date.now() + expiresInSeconds * 1000).toISOString() });
      await endEach(await findSessionIdsBeyond(database, accountId, sessionId, maxPerAccount - 1), 'session-limit');
    },
    /** RP-initiated logout ended a whole session at the provider: tell the live streams. */
    async recordLogout(accountId: string, sessionUid: string): Promise<void> {
      await events.publish({ type: 'session.ended', accountId, sessionUid, at: new Date().toISOString(), reason: 'logout' });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
