// A back-channel logout delivery as operators read it in JSON (the CLI and the admin API).
import type { LogoutDeliveryRow } from '../storage/repositories/logout-deliveries.js';

export function deliveryJson(row: LogoutDeliveryRow) {
  return {
    id: row.id, client_id: row.clientId, account_id: row.accountId, sid: row.sid, reason: row.reason, status: row.status,
    attempts: row.attempts, next_attempt_at: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    last_error: row.lastError, created_at: row.createdAt.toISOString(), updated_at: row.updatedAt.toISOString(),
  };
}
