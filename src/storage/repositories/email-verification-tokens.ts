// The only SQL for email_verification_tokens.
import type { Queryable } from '../db.js';

export interface NewEmailVerificationToken {
  userId: string;
  email: string;
  tokenHash: string;
  ttlSeconds: number;
}

export async function insertEmailVerificationToken(db: Queryable, token: NewEmailVerificationToken & { clientId?: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at, client_id)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)`,
    [token.userId, token.email, token.tokenHash, token.ttlSeconds, token.clientId ?? null],
  );
}

/** The live-token condition shared by the check and the spend: unused, unexpired, for the account's address. */
const LIVE_VERIFICATION = `t.token_hash = $1 AND t.consumed_at IS NULL AND t.expires_at > now()
       AND u.id = t.user_id AND lower(u.email) = lower(t.email)`;

/** Whether a verification token could still be spent, without spending it (for showing the button). */
export async function isEmailVerificationTokenLive(db: Queryable, tokenHash: string): Promise<boolean> {
  const result = await db.query(`SELECT 1 FROM email_verification_tokens AS t JOIN users AS u ON u.id = t.user_id WHERE ${LIVE_VERIFICATION}`, [tokenHash]);
  return result.rowCount > 0;
}

export interface ConsumedVerification {
  userId: string;
  /** The app the person was signing in to when the link was asked for. */
  clientId: string | null;
}

/**
 * Marks a live token used and returns its user, in one statement: of two concurrent uses only one
 * sees consumed_at IS NULL. Unknown, used, expired, or sent to an address the account no longer
 * has: undefined.
 */
export async function consumeEmailVerificationToken(db: Queryable, tokenHash: string): Promise<ConsumedVerification | undefined> {
  const result = await db.query<{ user_id: string; client_id: string | null }>(
    `UPDATE email_verification_tokens AS t SET consumed_at = now()
     FROM users AS u
     WHERE ${LIVE_VERIFICATION}
     RETURNING t.user_id, t.client_id`,
    [tokenHash],
  );
  const row = result.rows[0];
  return row ? { userId: row.user_id, clientId: row.client_id } : undefined;
}

export interface NewEmailChangeToken extends NewEmailVerificationToken {
  /** The account's address when the change was asked for. */
  previousEmail: string;
}

export async function insertEmailChangeToken(db: Queryable, token: NewEmailChangeToken): Promise<void> {
  await db.query(
    `INSERT INTO email_verification_tokens (user_id, email, previous_email, purpose, token_hash, expires_at)
     VALUES ($1, $2, $3, 'change', $4, now() + make_interval(secs => $5))`,
    [token.userId, token.email, token.previousEmail, token.tokenHash, token.ttlSeconds],
  );
}

export interface ConsumedEmailChange {
  userId: string;
  newEmail: string;
  previousEmail: string;
}

/**
 * Spends a live email-change token, in one statement as above. Refused (undefined) when the
 * account's address is no longer the one the change was asked from.
 */
export async function consumeEmailChangeToken(db: Queryable, tokenHash: string): Promise<ConsumedEmailChange | undefined> {
  const result = await db.query<{ user_id: string; email: string; previous_email: string }>(
    `UPDATE email_verification_tokens AS t SET consumed_at = now()
     FROM users AS u
     WHERE t.token_hash = $1 AND t.purpose = 'change' AND t.consumed_at IS NULL AND t.expires_at > now()
       AND u.id = t.user_id AND lower(u.email) = lower(t.previous_email)
     RETURNING t.user_id, t.email, t.previous_email`,
    [tokenHash],
  );
  const row = result.rows[0];
  return row ? { userId: row.user_id, newEmail: row.email, previousEmail: row.previous_email } : undefined;
}

/** Whether a change token could still be spent, without spending it (for showing the page). */
export async function isEmailChangeTokenLive(db: Queryable, tokenHash: string): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM email_verification_tokens AS t JOIN users AS u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND t.purpose = 'change' AND t.consumed_at IS NULL AND t.expires_at > now()
       AND lower(u.email) = lower(t.previous_email)`,
    [tokenHash],
  );
  return result.rowCount > 0;
}

/** Spends every pending email-change link of an account (an undone change must not be redone by its other links). */
export async function cancelEmailChangeTokens(db: Queryable, userId: string): Promise<void> {
  await db.query(
    "UPDATE email_verification_tokens SET consumed_at = now() WHERE user_id = $1 AND purpose = 'change' AND consumed_at IS NULL",
    [userId],
  );
}
