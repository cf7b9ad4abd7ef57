// The only SQL for account_sessions: which signed-in sessions each account has.
import type { Queryable } from '../db.js';

export interface AccountSessionEntry {
  sessionId: string;
  accountId: string;
  sessionUid: string;
  /** oidc-provider's loginTs, in seconds since the epoch. */
  loginTs: number | undefined;
  expiresInSeconds: number;
  /** Whether the person chose "remember me" (oidc-provider's session is not transient). */
  remembered: boolean;
  /** Clients the session signed in to. */
  clientIds: string[];
  /** Where the browser was last seen; undefined outside a request (keeps what was stored). */
  ip?: string | undefined;
  userAgent?: string | null | undefined;
}

/** The shape of a session uid (oidc-provider's nanoid), as pages, the CLI and the admin API name a session. */
export function isSessionUid(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(value);
}

/** One row of the index, as the account pages and the CLI list it. */
export interface AccountSessionRow {
  sessionId: string;
  sessionUid: string;
  loginAt: Date | null;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  remembered: boolean;
  clientIds: string[];
}

interface StoredRow {
  session_id: string; session_uid: string; login_at: Date | null; last_seen_at: Date; expires_at: Date;
  ip: string | null; user_agent: string | null; remembered: boolean; client_ids: string[];
}

const COLUMNS = 'session_id, session_uid, login_at, last_seen_at, expires_at, ip, user_agent, remembered, client_ids';

function toRow(row: StoredRow): AccountSessionRow {
  return {
    sessionId: row.session_id, sessionUid: row.session_uid, loginAt: row.login_at, lastSeenAt: row.last_seen_at, expiresAt: row.expires_at,
    ip: row.ip, userAgent: row.user_agent, remembered: row.remembered, clientIds: row.client_ids,
  };
}

/** Writes the entry; true when it is new (a sign-in), false when an existing one was updated. */
export async function upsertAccountSession(db: Queryable, entry: AccountSessionEntry): Promise<boolean> {
  const seen = entry.ip !== undefined;
  const result = await db.query<{ inserted: boolean }>(
    `INSERT INTO account_sessions (session_id, account_id, session_uid, login_at, expires_at, remembered, client_ids, ip, user_agent)
     VALUES ($1, $2, $3, to_timestamp($4), now() + make_interval(secs => $5), $6, $7, $8, $9)
     ON CONFLICT (session_id) DO UPDATE SET account_id = EXCLUDED.account_id, session_uid = EXCLUDED.session_uid,
       login_at = EXCLUDED.login_at, last_seen_at = now(), expires_at = EXCLUDED.expires_at,
       remembered = EXCLUDED.remembered, client_ids = EXCLUDED.client_ids,
       ip = CASE WHEN $10 THEN EXCLUDED.ip ELSE account_sessions.ip END,
       user_agent = CASE WHEN $10 THEN EXCLUDED.user_agent ELSE account_sessions.user_agent END
     RETURNING (xmax = 0) AS inserted`,
    [entry.sessionId, entry.accountId, entry.sessionUid, entry.loginTs ?? null, entry.expiresInSeconds, entry.remembered, entry.clientIds,
      entry.ip ?? null, entry.userAgent ?? null, seen],
  );
  return result.rows[0]?.inserted === true;
}

/** Removes the entry; the uid of the session it indexed, if there was one. */
export async function deleteAccountSession(db: Queryable, sessionId: string): Promise<string | undefined> {
  const result = await db.query<{ session_uid: string }>('DELETE FROM account_sessions WHERE session_id = $1 RETURNING session_uid', [sessionId]);
  return result.rows[0]?.session_uid;
}

/** Ids of the account's live sessions (for ending them), newest sign-in first. */
export async function findAccountSessionIds(db: Queryable, accountId: string): Promise<string[]> {
  const result = await db.query<{ session_id: string }>(
    `SELECT session_id FROM account_sessions WHERE account_id = $1 AND expires_at > now()
     ORDER BY login_at DESC NULLS LAST`,
    [accountId],
  );
  return result.rows.map((row) => row.session_id);
}

export async function deleteAccountSessionsOf(db: Queryable, accountId: string): Promise<void> {
  await db.query('DELETE FROM account_sessions WHERE account_id = $1', [accountId]);
}

/** The account's live sessions, newest sign-in first. */
export async function listAccountSessions(db: Queryable, accountId: string): Promise<AccountSessionRow[]> {
  const result = await db.query<StoredRow>(
    `SELECT ${COLUMNS} FROM account_sessions WHERE account_id = $1 AND expires_at > now()
     ORDER BY login_at DESC NULLS LAST, last_seen_at DESC`,
    [accountId],
  );
  return result.rows.map(toRow);
}

/** One live session of the account, by the uid pages and the CLI name it with. */
export async function findAccountSessionByUid(db: Queryable, accountId: string, sessionUid: string): Promise<AccountSessionRow | undefined> {
  const result = await db.query<StoredRow>(
    `SELECT ${COLUMNS} FROM account_sessions WHERE account_id = $1 AND session_uid = $2 AND expires_at > now()`,
    [accountId, sessionUid],
  );
  return result.rows[0] ? toRow(result.rows[0]) : undefined;
}

/** One live session of the account, by its id (the server-side key, never shown). */
export async function findAccountSession(db: Queryable, accountId: string, sessionId: string): Promise<AccountSessionRow | undefined> {
  const result = await db.query<StoredRow>(
    `SELECT ${COLUMNS} FROM account_sessions WHERE account_id = $1 AND session_id = $2 AND expires_at > now()`,
    [accountId, sessionId],
  );
  return result.rows[0] ? toRow(result.rows[0]) : undefined;
}

/** The account's live sessions other than `sessionId`, beyond the newest `keep`: the oldest sign-ins, to end. */
export async function findSessionIdsBeyond(db: Queryable, accountId: string, sessionId: string, keep: number): Promise<string[]> {
  const result = await db.query<{ session_id: string }>(
    `SELECT session_id FROM account_sessions WHERE account_id = $1 AND session_id <> $2 AND expires_at > now()
     ORDER BY login_at DESC NULLS LAST, last_seen_at DESC OFFSET $3`,
    [accountId, sessionId, keep],
  );
  return result.rows.map((row) => row.session_id);
}

export interface ExpiringSession { accountId: string; sessionUid: string; expiresAt: Date }

/** Live sessions of every account that expire by `until`, soonest first (the admin stream's warnings). */
export async function listSessionsExpiringBy(db: Queryable, until: Date, limit: number): Promise<ExpiringSession[]> {
  const result = await db.query<{ account_id: string; session_uid: string; expires_at: Date }>(
    `SELECT account_id, session_uid, expires_at FROM account_sessions WHERE expires_at > now() AND expires_at <= $1
     ORDER BY expires_at LIMIT $2`,
    [until, limit],
  );
  return result.rows.map((row) => ({ accountId: row.account_id, sessionUid: row.session_uid, expiresAt: row.expires_at }));
}
