// The only SQL for known_devices ("this wasn't me" links: user-link-tokens.ts).
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
