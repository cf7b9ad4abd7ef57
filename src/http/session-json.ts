// A signed-in session as operators read it in JSON: `gatehouse sessions list --json` and the admin
// API answer with the same fields. The session is named by its uid, never its id (the cookie value).
import type { SignedInSession } from '../services/sessions.js';
import { deviceLabel } from './device-label.js';

export function sessionJson(row: SignedInSession) {
  return {
    session: row.sessionUid,
    signed_in_at: row.loginAt?.toISOString() ?? null,
    last_seen_at: row.lastSeenAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    ip: row.ip,
    device: deviceLabel(row.userAgent),
    remembered: row.remembered,
    clients: row.clientIds,
  };
}
