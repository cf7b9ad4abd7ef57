// The only SQL for password_reset_tokens.
import type { Queryable } from '../db.js';
import { deleteExpiredRows } from './expired-rows.js';

export interface NewPasswordResetToken {
  userId: string;
  tokenHash: string;
  ttlSeconds: number;
}

export async function insertPasswordResetToken(db: Queryable, token: NewPasswordResetToken): Promise<void> {
  await db.query(
    `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [token.userId, token.tokenHash, token.ttlSeconds],
  );
}

/** The user of a live token (unused, unexpired, active account), without spending it; undefined otherwise. */
export async function findLivePasswordResetTokenUser(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ user_id: string }>(
    `SELECT t.user_id FROM password_reset_tokens AS t JOIN users AS u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND t.consumed_at IS NULL AND t.expires_at > now() AND u.status = 'active'`,
    [tokenHash],
  );
  return result.rows[0]?.user_id;
}

/**
 * Marks a live token used and returns its user, in one statement: of two concurrent uses only one
 * sees consumed_at IS NULL. Unknown, used, expired, or a disabled account: undefined.
 */
export async function consumePasswordResetToken(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ user_id: string }>(
    `UPDATE password_reset_tokens AS t SET consumed_at = now()
     FROM users AS u
     WHERE t.token_hash = $1 AND t.consumed_at IS NULL AND t.expires_at > now()
       AND u.id = t.user_id AND u.status = 'active'
     RETURNING t.user_id`,
    [tokenHash],
  );
  return result.rows[0]?.user_id;
}

/** Spends every other outstanding token of a user (after a reset, older links stop working). */
export async function consumeAllPasswordResetTokens(db: Queryable, userId: string): Promise<void> {
  await db.query('UPDATE password_reset_tokens SET consumed_at = now() WHERE user_id = $1 AND consumed_at IS NULL', [userId]);
}

/** Deletes up to limit expired tokens (used or not); the number deleted. */
export function deleteExpiredPasswordResetTokens(db: Queryable, limit: number): Promise<number> {
  return deleteExpiredRows(db, 'password_reset_tokens', limit);
}
