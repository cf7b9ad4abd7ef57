// "Remember this device": a browser that passed a second factor may skip it for a while.
// It holds a random 256-bit token (in a signed, account-bound cookie set by the HTTP layer); the
// server keeps only the token's SHA-256 with the account, so the record can be listed and revoked,
// and a copy of the table cannot be replayed.
import { z } from 'zod';
import type { Database } from '../storage/db.js';
import {
  insertTrustedDevice, listTrustedDevices, revokeTrustedDevices, touchTrustedDevice,
} from '../storage/repositories/trusted-devices.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';

const DAY_SECONDS = 86_400;
const LABEL_MAX = 200;

export interface TrustedDevice {
  id: string;
  /** What the person sees in the list, e.g. "Firefox on Linux". */
  label: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
}

/** A label fit for a listing: printable, trimmed, bounded; never empty. */
function cleanLabel(label: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = label.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return Array.from(printable).slice(0, LABEL_MAX).join('') || 'Unknown device';
}

export function createTrustedDeviceService(deps: { database: Database; ttlDays: number }) {
  const { database } = deps;
  if (!(deps.ttlDays > 0)) throw new RangeError('ttlDays must be positive');
  const ttlSeconds = Math.round(deps.ttlDays * DAY_SECONDS);

  /** Records a device for the user; the token goes into the cookie and is never stored. */
  async function remember(userId: string, userAgentLabel: string): Promise<{ token: string; deviceId: string; expiresAt: Date }> {
    const { token, tokenHash } = newLinkToken();
    const row = await insertTrustedDevice(database, { userId, tokenHash, label: cleanLabel(userAgentLabel), ttlSeconds });
    return { token, deviceId: row.id, expiresAt: row.expires_at };
  }

  /** The device id when the token is the user's own, unrevoked and unexpired (and marks it used); null otherwise. */
  async function check(userId: string, token: string): Promise<string | null> {
    if (!isWellFormedToken(token)) return null;
    return (await touchTrustedDevice(database, userId, hashToken(token))) ?? null;
  }

  async function list(userId: string): Promise<TrustedDevice[]> {
    const rows = await listTrustedDevices(database, userId);
    return rows.map((row) => ({ id: row.id, label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at, expiresAt: row.expires_at }));
  }

  /** True when the user's live device was revoked; an id that is not theirs changes nothing. */
  async function revoke(userId: string, deviceId: string): Promise<boolean> {
    if (!z.uuid().safeParse(deviceId).success) return false;
    return (await revokeTrustedDevices(database, userId, deviceId)) > 0;
  }

  /** Revokes every device of the user (a password reset does this); how many were live. */
  async function revokeAll(userId: string): Promise<number> {
    return revokeTrustedDevices(database, userId);
  }

  return { remember, check, list, revoke, revokeAll };
}

export type TrustedDeviceService = ReturnType<typeof createTrustedDeviceService>;
