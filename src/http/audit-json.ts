// An audit event as operators read it in JSON: `gatehouse audit --json`, the admin API and the
// console's exports answer with the same fields.
import type { AuditEvent } from '../services/audit.js';

export function auditEventJson(event: AuditEvent) {
  return {
    id: event.id, occurred_at: event.occurredAt.toISOString(), type: event.type, outcome: event.outcome, account_id: event.accountId,
    email: event.email, client_id: event.clientId, ip: event.ip, user_agent: event.userAgent, detail: event.detail,
  };
}
