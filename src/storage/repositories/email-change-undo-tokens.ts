// The only SQL for email_change_undo_tokens: the "this was not me" link of the email-changed
// notice, sent to the old address. A link is live while unused and unexpired, even after further
// changes: someone who took the account over and moved it on again must not strand the owner.
import type { Queryable } from '../db.js';

export interface NewEmailChangeUndoToken {
  userId: string;
  tokenHash: string;
  previousEmail: string;
  changedEmail: string;
  ttlSeconds: number;
}

export interface LiveEmailChangeUndo {
  userId: string;
  /** The address the link gives back. */
  previousEmail: string;
  /** The address the change moved the account to, that the link takes away. */
  changedEmail: string;
  createdAt: Date;
}

const LIVE = 't.token_hash = $1 AND t.consumed_at IS NULL AND t.expires_at > now() AND u.id = t.user_id';
const COLUMNS = 't.user_id, t.previous_email, t.changed_email, t.created_at';

interface UndoRow { user_id: string; previous_email: string; changed_email: string; created_at: Date }

function toUndo(row: UndoRow | undefined): LiveEmailChangeUndo | undefined {
  return row && { userId: row.user_id, previousEmail: row.previous_email, changedEmail: row.changed_email, createdAt: row.created_at };
}

export async function insertEmailChangeUndoToken(db: Queryable, token: NewEmailChangeUndoToken): Promise<void> {
  await db.query(
    `INSERT INTO email_change_undo_tokens (user_id, token_hash, previous_email, changed_email, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
    [token.userId, token.tokenHash, token.previousEmail, token.changedEmail, token.ttlSeconds],
  );
}

/** The live link, without spending it (for showing the confirm page). */
export async function findLiveEmailChangeUndo(db: Queryable, tokenHash: string): Promise<LiveEmailChangeUndo | undefined> {
  const result = await db.query<UndoRow>(
    `SELECT ${COLUMNS} FROM email_change_undo_tokens AS t, users AS u WHERE ${LIVE}`,
    [tokenHash],
  );
  return toUndo(result.rows[0]);
}

/** Marks a live link used and returns it, in one statement: of two concurrent uses only one wins. */
export async function consumeEmailChangeUndoToken(db: Queryable, tokenHash: string): Promise<LiveEmailChangeUndo | undefined> {
  const result = await db.query<UndoRow>(
    `UPDATE email_change_undo_tokens AS t SET consumed_at = now() FROM users AS u WHERE ${LIVE}
     RETURNING ${COLUMNS}`,
    [tokenHash],
  );
  return toUndo(result.rows[0]);
}

/**
 * Spends the account's undo links made at or after `since` (those of later changes, which would
 * move the address away again); earlier ones, closer to the owner's own address, stay usable.
 */
export async function consumeLaterEmailChangeUndoTokens(db: Queryable, userId: string, since: Date): Promise<void> {
  await db.query(
    'UPDATE email_change_undo_tokens SET consumed_at = now() WHERE user_id = $1 AND created_at >= $2 AND consumed_at IS NULL',
    [userId, since],
  );
}
