// The only SQL for the single-use links mailed to an account: password_reset_tokens,
// unlock_tokens and sign_in_alert_tokens, which share one shape (user_id, token_hash unique,
// expires_at, consumed_at). Table names come from this fixed list, never from input.
import type { Queryable } from '../db.js';

const USER_LINK_TABLES = {
  // A reset link sets a password, so it only works while the account is active.
  password_reset_tokens: { activeAccountOnly: true },
  unlock_tokens: { activeAccountOnly: false },
  sign_in_alert_tokens: { activeAccountOnly: false },
} as const;

export type UserLinkTable = keyof typeof USER_LINK_TABLES;

export interface NewUserLinkToken {
  userId: string;
  tokenHash: string;
  ttlSeconds: number;
}

/** The app a reset link was asked for from (password_reset_tokens only: the other tables have no such column). */
export async function insertPasswordResetToken(db: Queryable, token: NewUserLinkToken & { clientId: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, client_id) VALUES ($1, $2, now() + make_interval(secs => $3), $4)`,
    [token.userId, token.tokenHash, token.ttlSeconds, token.clientId],
  );
}

/** The app recorded on a reset token, spent or not. */
export async function passwordResetTokenClient(db: Queryable, tokenHash: string): Promise<string | null> {
  const result = await db.query<{ client_id: string | null }>('SELECT client_id FROM password_reset_tokens WHERE token_hash = $1', [tokenHash]);
  return result.rows[0]?.client_id ?? null;
}

/** The condition, besides the token's own, for a token to count as live. */
function liveWhere(table: UserLinkTable): string {
  const account = USER_LINK_TABLES[table].activeAccountOnly ? " AND u.status = 'active'" : '';
  return `t.token_hash = $1 AND t.consumed_at IS NULL AND t.expires_at > now()${account}`;
}

export async function insertUserLinkToken(db: Queryable, table: UserLinkTable, token: NewUserLinkToken): Promise<void> {
  await db.query(
    `INSERT INTO ${table} (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [token.userId, token.tokenHash, token.ttlSeconds],
  );
}

/** The user of a live token, without spending it (for showing the page); undefined otherwise. */
export async function findLiveUserLinkTokenUser(db: Queryable, table: UserLinkTable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ user_id: string }>(
    `SELECT t.user_id FROM ${table} AS t JOIN users AS u ON u.id = t.user_id WHERE ${liveWhere(table)}`,
    [tokenHash],
  );
  return result.rows[0]?.user_id;
}

export async function isUserLinkTokenLive(db: Queryable, table: UserLinkTable, tokenHash: string): Promise<boolean> {
  return (await findLiveUserLinkTokenUser(db, table, tokenHash)) !== undefined;
}

/**
 * Marks a live token used and returns its user, in one statement: of two concurrent uses only one
 * sees consumed_at IS NULL. Unknown, used or expired (or, where the table asks, an account no
 * longer active): undefined.
 */
export async function consumeUserLinkToken(db: Queryable, table: UserLinkTable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ user_id: string }>(
    `UPDATE ${table} AS t SET consumed_at = now() FROM users AS u
     WHERE u.id = t.user_id AND ${liveWhere(table)} RETURNING t.user_id`,
    [tokenHash],
  );
  return result.rows[0]?.user_id;
}

/** Spends every outstanding token of a user in one table (older links stop working). */
export async function consumeAllUserLinkTokens(db: Queryable, table: UserLinkTable, userId: string): Promise<void> {
  await db.query(`UPDATE ${table} SET consumed_at = now() WHERE user_id = $1 AND consumed_at IS NULL`, [userId]);
}
