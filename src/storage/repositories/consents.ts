// The only SQL for consents: what a person allowed an app, remembered beyond sessions and grants.
import type { Queryable } from '../db.js';

export interface ConsentRow {
  client_id: string;
  scopes: string[];
  claims: string[];
  /** RFC 8707 resource -> the scopes allowed there. */
  resource_scopes: Record<string, string[]>;
  granted_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = 'client_id, scopes, claims, resource_scopes, granted_at, updated_at, last_used_at';
// A busy app refreshes often; its last use is written at most once a minute.
const TOUCH_EVERY = "interval '1 minute'";

/** The row, locked until the transaction ends when `forUpdate` (a consent merged into it). */
export async function findConsent(db: Queryable, userId: string, clientId: string, forUpdate = false): Promise<ConsentRow | undefined> {
  const result = await db.query<ConsentRow>(
    `SELECT ${COLUMNS} FROM consents WHERE user_id = $1 AND client_id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [userId, clientId],
  );
  return result.rows[0];
}

export async function upsertConsent(
  db: Queryable, consent: { userId: string; clientId: string; scopes: string[]; claims: string[]; resourceScopes: Record<string, string[]> },
): Promise<void> {
  await db.query(
    `INSERT INTO consents (user_id, client_id, scopes, claims, resource_scopes, last_used_at) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (user_id, client_id) DO UPDATE
     SET scopes = EXCLUDED.scopes, claims = EXCLUDED.claims, resource_scopes = EXCLUDED.resource_scopes, updated_at = now(), last_used_at = now()`,
    [consent.userId, consent.clientId, consent.scopes, consent.claims, JSON.stringify(consent.resourceScopes)],
  );
}

/** The person's consents, most recently used first. */
export async function listConsents(db: Queryable, userId: string): Promise<ConsentRow[]> {
  const result = await db.query<ConsentRow>(
    `SELECT ${COLUMNS} FROM consents WHERE user_id = $1 ORDER BY COALESCE(last_used_at, updated_at) DESC, client_id`,
    [userId],
  );
  return result.rows;
}

/** Removes the consent; the removed row, if there was one. */
export async function deleteConsent(db: Queryable, userId: string, clientId: string): Promise<ConsentRow | undefined> {
  const result = await db.query<ConsentRow>(`DELETE FROM consents WHERE user_id = $1 AND client_id = $2 RETURNING ${COLUMNS}`, [userId, clientId]);
  return result.rows[0];
}

/** Notes a use of the app; no write when one was noted within the last minute. */
export async function touchConsent(db: Queryable, userId: string, clientId: string): Promise<void> {
  await db.query(
    `UPDATE consents SET last_used_at = now()
     WHERE user_id = $1 AND client_id = $2 AND (last_used_at IS NULL OR last_used_at < now() - ${TOUCH_EVERY})`,
    [userId, clientId],
  );
}
