// One bounded DELETE of expired rows, for the sweeper. Tables with a single-column key and an
// expires_at column use it; the names come from this fixed list, never from input.
import type { Queryable } from '../db.js';

const EXPIRING_TABLES = {
  account_sessions: 'session_id',
  email_verification_tokens: 'id',
  federated_sessions: 'session_uid',
  invitations: 'id',
  organisation_invitations: 'id',
  password_reset_tokens: 'id',
  trusted_devices: 'id',
  unlock_tokens: 'id',
  sign_in_alert_tokens: 'id',
  source_lockouts: 'id',
  personal_access_tokens: 'id',
  email_change_undo_tokens: 'id',
} as const;

export type ExpiringTable = keyof typeof EXPIRING_TABLES;

/** Deletes up to limit rows of `table` whose expires_at has passed; the number deleted. */
export async function deleteExpiredRows(db: Queryable, table: ExpiringTable, limit: number): Promise<number> {
  const key = EXPIRING_TABLES[table];
  const result = await db.query(
    `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}
