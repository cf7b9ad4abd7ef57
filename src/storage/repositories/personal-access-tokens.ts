// The only SQL for personal_access_tokens. Expiry is set and compared on the database clock, so
// nodes with skewed clocks agree on which tokens still work.
import type { Queryable } from '../db.js';

export interface PersonalAccessTokenRow {
  id: string;
  name: string;
  scope: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date;
  revoked_at: Date | null;
}

/** A live token found by its hash, with the account it acts for. */
export interface LivePersonalAccessToken {
  id: string;
  user_id: string;
  scope: string;
  created_at: Date;
  expires_at: Date;
}

const COLUMNS = 'id, name, scope, created_at, last_used_at, expires_at, revoked_at';
const LIVE = 't.revoked_at IS NULL AND t.expires_at > now()';
// Introspection may come many times a second; the last use is written at most once a minute.
const TOUCH_EVERY = "interval '1 minute'";

export async function insertPersonalAccessToken(
  db: Queryable, token: { userId: string; name: string; tokenHash: string; scope: string; ttlSeconds: number },
): Promise<PersonalAccessTokenRow> {
  const result = await db.query<PersonalAccessTokenRow>(
    `INSERT INTO personal_access_tokens (user_id, name, token_hash, scope, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING ${COLUMNS}`,
    [token.userId, token.name, token.tokenHash, token.scope, token.ttlSeconds],
  );
  return result.rows[0]!;
}

/** The user's tokens that have not expired, revoked ones included, newest first. */
export async function listPersonalAccessTokens(db: Queryable, userId: string): Promise<PersonalAccessTokenRow[]> {
  const result = await db.query<PersonalAccessTokenRow>(
    `SELECT ${COLUMNS} FROM personal_access_tokens WHERE user_id = $1 AND expires_at > now() ORDER BY created_at DESC, id`,
    [userId],
  );
  return result.rows;
}

/** Revokes one live token of the user (by id) or the live token with this hash; the revoked row, if any. */
export async function revokePersonalAccessToken(
  db: Queryable, by: { userId: string; id: string } | { tokenHash: string },
): Promise<(PersonalAccessTokenRow & { user_id: string }) | undefined> {
  const [where, params] = 'tokenHash' in by ? ['t.token_hash = $1', [by.tokenHash]] : ['t.user_id = $1 AND t.id = $2', [by.userId, by.id]];
  const result = await db.query<PersonalAccessTokenRow & { user_id: string }>(
    `UPDATE personal_access_tokens t SET revoked_at = now() WHERE ${where} AND ${LIVE} RETURNING user_id, ${COLUMNS}`,
    params,
  );
  return result.rows[0];
}

/** Revokes every live token of the user; how many. */
export async function revokeAllPersonalAccessTokens(db: Queryable, userId: string): Promise<number> {
  const result = await db.query(`UPDATE personal_access_tokens t SET revoked_at = now() WHERE t.user_id = $1 AND ${LIVE}`, [userId]);
  return result.rowCount;
}

/** The live token with this id, of an active account (the grant a token's userinfo call reads); undefined otherwise. */
export async function findLivePersonalAccessToken(db: Queryable, id: string): Promise<LivePersonalAccessToken | undefined> {
  const result = await db.query<LivePersonalAccessToken>(
    `SELECT t.id, t.user_id, t.scope, t.created_at, t.expires_at
     FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.id = $1 AND ${LIVE} AND u.status = 'active'`,
    [id],
  );
  return result.rows[0];
}

/**
 * The live token with this hash, of an account that is active, noting its use; undefined
 * otherwise. A disabled, deactivated or deleted account's tokens stop working at once.
 */
export async function useLivePersonalAccessToken(db: Queryable, tokenHash: string): Promise<LivePersonalAccessToken | undefined> {
  const result = await db.query<LivePersonalAccessToken & { stale: boolean }>(
    `SELECT t.id, t.user_id, t.scope, t.created_at, t.expires_at,
            (t.last_used_at IS NULL OR t.last_used_at < now() - ${TOUCH_EVERY}) AS stale
     FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND ${LIVE} AND u.status = 'active'`,
    [tokenHash],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  if (row.stale) await db.query('UPDATE personal_access_tokens SET last_used_at = now() WHERE id = $1', [row.id]);
  return { id: row.id, user_id: row.user_id, scope: row.scope, created_at: row.created_at, expires_at: row.expires_at };
}
