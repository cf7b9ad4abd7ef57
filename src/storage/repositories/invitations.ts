// The only SQL for invitations.
import type { Queryable } from '../db.js';

export async function insertInvitation(db: Queryable, invitation: { email: string; tokenHash: string; ttlSeconds: number }): Promise<void> {
  await db.query(
    `INSERT INTO invitations (email, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [invitation.email, invitation.tokenHash, invitation.ttlSeconds],
  );
}

/** The invited address of a live invitation, without spending it. */
export async function findLiveInvitationEmail(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ email: string }>(
    'SELECT email FROM invitations WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now()',
    [tokenHash],
  );
  return result.rows[0]?.email;
}

/** Spends a live invitation in one statement (of two concurrent uses one wins); its address. */
export async function consumeInvitation(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ email: string }>(
    `UPDATE invitations SET consumed_at = now()
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now() RETURNING email`,
    [tokenHash],
  );
  return result.rows[0]?.email;
}
