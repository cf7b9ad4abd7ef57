// The only SQL for totp_credentials, backup_codes and second_factor_failures. Every check that
// decides whether a code passes is one conditional statement, so concurrent submissions of the same
// code cannot both succeed.
import type { Queryable } from '../db.js';

export interface TotpCredentialRow {
  secret_encrypted: string;
  confirmed_at: Date | null;
}

export interface TwoFactorCounts {
  enrolled: boolean;
  backupCodesLeft: number;
  trustedDevices: number;
}

export async function findTotpCredential(db: Queryable, userId: string): Promise<TotpCredentialRow | undefined> {
  const result = await db.query<TotpCredentialRow>('SELECT secret_encrypted, confirmed_at FROM totp_credentials WHERE user_id = $1', [userId]);
  return result.rows[0];
}

/** The unconfirmed secret when it was stored less than maxAgeSeconds ago (database clock). */
export async function findRecentPendingTotpSecret(db: Queryable, userId: string, maxAgeSeconds: number): Promise<string | undefined> {
  const result = await db.query<{ secret_encrypted: string }>(
    `SELECT secret_encrypted FROM totp_credentials
     WHERE user_id = $1 AND confirmed_at IS NULL AND created_at > now() - make_interval(secs => $2)`,
    [userId, maxAgeSeconds],
  );
  return result.rows[0]?.secret_encrypted;
}

/** Stores an unconfirmed secret, replacing an unconfirmed one; false (nothing written) when a confirmed one exists. */
export async function putPendingTotpCredential(db: Queryable, userId: string, secretEncrypted: string): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO totp_credentials AS c (user_id, secret_encrypted) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, last_used_step = NULL, created_at = now()
     WHERE c.confirmed_at IS NULL`,
    [userId, secretEncrypted],
  );
  return result.rowCount === 1;
}

/**
 * Confirms the pending secret that the code was checked against, recording the code's step as used.
 * False when it is no longer pending (confirmed or replaced meanwhile).
 */
export async function confirmTotpCredential(db: Queryable, userId: string, secretEncrypted: string, step: number): Promise<boolean> {
  const result = await db.query(
    `UPDATE totp_credentials SET confirmed_at = now(), last_used_step = $3
     WHERE user_id = $1 AND secret_encrypted = $2 AND confirmed_at IS NULL`,
    [userId, secretEncrypted, step],
  );
  return result.rowCount === 1;
}

/** Compare-and-set on last_used_step: true for exactly one caller per step, and never for an older step. */
export async function advanceTotpStep(db: Queryable, userId: string, step: number): Promise<boolean> {
  const result = await db.query(
    `UPDATE totp_credentials SET last_used_step = $2
     WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $2)`,
    [userId, step],
  );
  return result.rowCount === 1;
}

/** Replaces every backup code of the user with these hashes; run inside a transaction. */
export async function replaceBackupCodes(tx: Queryable, userId: string, codeHashes: readonly string[]): Promise<void> {
  await tx.query('DELETE FROM backup_codes WHERE user_id = $1', [userId]);
  await tx.query('INSERT INTO backup_codes (user_id, code_hash) SELECT $1, unnest($2::text[])', [userId, codeHashes]);
}

/** Marks an unused code used, in one statement: true for exactly one of any number of concurrent uses. */
export async function consumeBackupCode(db: Queryable, userId: string, codeHash: string): Promise<boolean> {
  const result = await db.query(
    'UPDATE backup_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL',
    [userId, codeHash],
  );
  return result.rowCount === 1;
}

/** Whether the account has a confirmed authenticator: all sign-in needs to know. */
export async function hasConfirmedTotp(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query<{ enrolled: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS enrolled', [userId],
  );
  return result.rows[0]!.enrolled;
}

export async function countTwoFactor(db: Queryable, userId: string): Promise<TwoFactorCounts> {
  const result = await db.query<TwoFactorCounts>(
    `SELECT
       EXISTS (SELECT 1 FROM totp_credentials WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "enrolled",
       (SELECT count(*)::int FROM backup_codes WHERE user_id = $1 AND used_at IS NULL) AS "backupCodesLeft",
       (SELECT count(*)::int FROM trusted_devices
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()) AS "trustedDevices"`,
    [userId],
  );
  return result.rows[0]!;
}

/** Removes the authenticator, backup codes, trusted devices and failure count; true when an authenticator was confirmed. */
export async function deleteTwoFactor(tx: Queryable, userId: string): Promise<boolean> {
  const credential = await tx.query<{ confirmed_at: Date | null }>('DELETE FROM totp_credentials WHERE user_id = $1 RETURNING confirmed_at', [userId]);
  await tx.query('DELETE FROM backup_codes WHERE user_id = $1', [userId]);
  await tx.query('DELETE FROM trusted_devices WHERE user_id = $1', [userId]);
  await tx.query('DELETE FROM second_factor_failures WHERE user_id = $1', [userId]);
  return Boolean(credential.rows[0]?.confirmed_at);
}

export type AttemptReservation = { locked: false; attempt: number } | { locked: true; lockedUntil: Date | undefined };

/**
 * Counts one attempt before its code is checked, so a burst of parallel guesses is numbered too.
 * A lock that has run out is cleared and counting starts again at 1; a lock in force refuses.
 */
export async function reserveAttempt(db: Queryable, userId: string): Promise<AttemptReservation> {
  const result = await db.query<{ failures: number }>(
    `INSERT INTO second_factor_failures AS f (user_id, failures) VALUES ($1, 1)
     ON CONFLICT (user_id) DO UPDATE SET
       failures = CASE WHEN f.locked_until IS NULL THEN f.failures + 1 ELSE 1 END,
       locked_until = NULL, updated_at = now()
     WHERE f.locked_until IS NULL OR f.locked_until <= now()
     RETURNING failures`,
    [userId],
  );
  const row = result.rows[0];
  if (row) return { locked: false, attempt: row.failures };
  const lock = await db.query<{ locked_until: Date }>('SELECT locked_until FROM second_factor_failures WHERE user_id = $1', [userId]);
  return { locked: true, lockedUntil: lock.rows[0]?.locked_until ?? undefined };
}

/**
 * Locks second-factor attempts for lockoutSeconds from now (database clock) and returns the end of
 * the lock. An upsert, so the lock holds even if a concurrent success has just cleared the count.
 */
export async function lockAttempts(db: Queryable, userId: string, lockoutSeconds: number): Promise<Date> {
  const result = await db.query<{ locked_until: Date }>(
    `INSERT INTO second_factor_failures AS f (user_id, failures, locked_until) VALUES ($1, 0, now() + make_interval(secs => $2))
     ON CONFLICT (user_id) DO UPDATE SET locked_until = EXCLUDED.locked_until, updated_at = now()
     RETURNING locked_until`,
    [userId, lockoutSeconds],
  );
  return result.rows[0]!.locked_until;
}

export async function clearAttempts(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM second_factor_failures WHERE user_id = $1', [userId]);
}
