// The only SQL for email_verification_tokens.
import type { Queryable } from '../db.js';

export interface NewEmailVerificationToken {
  userId: string;
  email: string;
  tokenHash: string;
  ttlSeconds: number;
}

export async function insertEmailVerificationToken(db: Queryable, token: NewEmailVerificationToken): Promise<void> {
  await db.query(
    `INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [token.userId, token.email, token.tokenHash, token.ttlSeconds],
  );
}

/**
 * Marks a live token used and returns its user, in one statement: of two concurrent uses only one
 * sees consumed_at IS NULL. Unknown, used, expired, or sent to an address the account no longer
 * has: undefined.
 */
export async function consumeEmailVerificationToken(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ user_id: string }>(
    `UPDATE email_verification_tokens AS t SET consumed_at = now()
     FROM users AS u
     WHERE t.token_hash = $1 AND t.consumed_at IS NULL AND t.expires_at > now()
       AND u.id = t.user_id AND lower(u.email) = lower(t.email)
     RETURNING t.user_id`,
    [tokenHash],
  );
  return result.rows[0]?.user_id;
}

/** Deletes up to limit expired tokens (used or not); the number deleted. */
export async function deleteExpiredEmailVerificationTokens(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM email_verification_tokens WHERE id IN (
       SELECT id FROM email_verification_tokens WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}
