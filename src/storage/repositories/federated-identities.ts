// The only SQL for federated_identities and federated_sessions.
import type { Queryable } from '../db.js';

export interface FederatedIdentityRow {
  id: string;
  user_id: string;
  provider_id: string;
  issuer: string;
  subject: string;
  email: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface NewFederatedIdentity {
  userId: string;
  providerId: string;
  issuer: string;
  subject: string;
  email: string | null;
}

/** Throws a unique violation when the identity, or one of this provider for the account, is linked. */
export async function insertFederatedIdentity(db: Queryable, identity: NewFederatedIdentity): Promise<FederatedIdentityRow> {
  const result = await db.query<FederatedIdentityRow>(
    `INSERT INTO federated_identities (user_id, provider_id, issuer, subject, email, last_used_at)
     VALUES ($1, $2, $3, $4, $5, now()) RETURNING *`,
    [identity.userId, identity.providerId, identity.issuer, identity.subject, identity.email],
  );
  return result.rows[0]!;
}

/** The identity, marking it used and keeping the email the upstream gave this time. */
export async function touchFederatedIdentity(db: Queryable, issuer: string, subject: string, email: string | null): Promise<FederatedIdentityRow | undefined> {
  const result = await db.query<FederatedIdentityRow>(
    `UPDATE federated_identities SET last_used_at = now(), email = $3 WHERE issuer = $1 AND subject = $2 RETURNING *`,
    [issuer, subject, email],
  );
  return result.rows[0];
}

export async function listFederatedIdentities(db: Queryable, userId: string): Promise<FederatedIdentityRow[]> {
  const result = await db.query<FederatedIdentityRow>(
    'SELECT * FROM federated_identities WHERE user_id = $1 ORDER BY created_at, id',
    [userId],
  );
  return result.rows;
}

/**
 * Removes one of the account's identities unless it is the account's last way to sign in (no
 * password and no other identity); the check and the delete are one statement, so two unlinks
 * at once cannot both pass it. The removed row, or undefined.
 */
export async function deleteFederatedIdentityUnlessLast(db: Queryable, userId: string, id: string): Promise<FederatedIdentityRow | undefined> {
  const result = await db.query<FederatedIdentityRow>(
    `DELETE FROM federated_identities f WHERE f.id = $2 AND f.user_id = $1
       AND ((SELECT password_hash IS NOT NULL FROM users WHERE id = $1)
         OR EXISTS (SELECT 1 FROM federated_identities o WHERE o.user_id = $1 AND o.id <> f.id))
     RETURNING f.*`,
    [userId, id],
  );
  return result.rows[0];
}

export async function upsertFederatedSession(db: Queryable, sessionUid: string, providerId: string, ttlSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO federated_sessions (session_uid, provider_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
     ON CONFLICT (session_uid) DO UPDATE SET provider_id = EXCLUDED.provider_id, expires_at = EXCLUDED.expires_at`,
    [sessionUid, providerId, ttlSeconds],
  );
}

export async function findFederatedSessionProvider(db: Queryable, sessionUid: string): Promise<string | undefined> {
  const result = await db.query<{ provider_id: string }>(
    'SELECT provider_id FROM federated_sessions WHERE session_uid = $1 AND expires_at > now()',
    [sessionUid],
  );
  return result.rows[0]?.provider_id;
}
