// The only SQL for trusted_devices. Expiry is set and compared on the database clock, so nodes with
// skewed clocks agree on which devices still count.
import type { Queryable } from '../db.js';

export interface TrustedDeviceRow {
  id: string;
  label: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
}

const LIVE = 'revoked_at IS NULL AND expires_at > now()';

export async function insertTrustedDevice(
  db: Queryable, device: { userId: string; tokenHash: string; label: string; ttlSeconds: number },
): Promise<{ id: string; expires_at: Date }> {
  const result = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO trusted_devices (user_id, token_hash, label, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id, expires_at`,
    [device.userId, device.tokenHash, device.label, device.ttlSeconds],
  );
  return result.rows[0]!;
}

/** The id of the user's live device with this token, marking it used; undefined otherwise. */
export async function touchTrustedDevice(db: Queryable, userId: string, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ id: string }>(
    `UPDATE trusted_devices SET last_used_at = now()
     WHERE token_hash = $1 AND user_id = $2 AND ${LIVE} RETURNING id`,
    [tokenHash, userId],
  );
  return result.rows[0]?.id;
}

export async function listTrustedDevices(db: Queryable, userId: string): Promise<TrustedDeviceRow[]> {
  const result = await db.query<TrustedDeviceRow>(
    `SELECT id, label, created_at, last_used_at, expires_at FROM trusted_devices
     WHERE user_id = $1 AND ${LIVE} ORDER BY last_used_at DESC, id`,
    [userId],
  );
  return result.rows;
}

/** Revokes live devices of the user (one, or all when deviceId is undefined); how many were revoked. */
export async function revokeTrustedDevices(db: Queryable, userId: string, deviceId?: string): Promise<number> {
  const result = await db.query(
    `UPDATE trusted_devices SET revoked_at = now()
     WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2) AND ${LIVE}`,
    [userId, deviceId ?? null],
  );
  return result.rowCount;
}


