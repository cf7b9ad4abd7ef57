// The only SQL for known_devices and sign_in_alert_tokens.
import type { Queryable } from '../db.js';

/**
 * Records a sign-in from a device; whether the device is new for the account, and how many
 * devices the account knew before (0 for its very first sign-in).
 */
export async function recordDeviceSignIn(db: Queryable, userId: string, deviceHash: string, label: string): Promise<{ isNew: boolean; knownBefore: number }> {
  const result = await db.query<{ inserted: boolean; known_before: number }>(
    `WITH before AS (SELECT count(*)::int AS n FROM known_devices WHERE user_id = $1)
     INSERT INTO known_devices (user_id, device_hash, label) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, device_hash) DO UPDATE SET last_seen_at = now(), label = EXCLUDED.label
     RETURNING (xmax = 0) AS inserted, (SELECT n FROM before) AS known_before`,
    [userId, deviceHash, label],
  );
  const row = result.rows[0]!;
  return { isNew: row.inserted, knownBefore: row.known_before };
}

export async function forgetKnownDevices(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM known_devices WHERE user_id = $1', [userId]);
}

export async function insertSignInAlertToken(db: Queryable, token: { userId: string; tokenHash: string; ttlSeconds: number }): Promise<void> {
  await db.query(
    'INSERT INTO sign_in_alert_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))',
    [token.userId, token.tokenHash, token.ttlSeconds],
  );
}

export async function isSignInAlertTokenLive(db: Queryable, tokenHash: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM sign_in_alert_tokens WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now()', [tokenHash]);
  return result.rowCount > 0;
}

/** Spends a live link in one statement; its account, or undefined. */
export async function consumeSignInAlertToken(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ user_id: string }>(
    `UPDATE sign_in_alert_tokens SET consumed_at = now()
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now() RETURNING user_id`,
    [tokenHash],
  );
  return result.rows[0]?.user_id;
}
