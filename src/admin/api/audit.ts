// Admin API: the audit trail (the same filters as `gatehouse audit`), back-channel logout
// deliveries with a retry for a failed one, and the signing keys' public facts.
import { z } from 'zod';
import { auditEventJson } from '../../http/audit-json.js';
import { deliveryJson } from '../../http/delivery-json.js';
import { AUDIT_EVENT_TYPES, MAX_AUDIT_PAGE, type AuditLog } from '../../services/audit.js';
import { DELIVERY_STATUSES, MAX_DELIVERY_PAGE, type LogoutDeliveryAdmin } from '../../services/logout-delivery-admin.js';
import type { SigningKeyService } from '../../services/signing-keys.js';
import { parseWhen } from '../../services/time-window.js';
import { byCaller } from './users.js';
import type { ApiRoutes } from './operations.js';

export interface AuditRoutesDeps {
  audit: AuditLog;
  logoutDeliveryAdmin: LogoutDeliveryAdmin;
  signingKeys: SigningKeyService;
}

/** `30m`, `24h`, `7d` before now, or an ISO 8601 date or time. */
const when = z.string().max(40).transform((value, context) => {
  const time = parseWhen(value, new Date());
  if (!time) context.addIssue({ code: 'custom', message: 'not a time: use 30m, 24h, 7d or an ISO date such as 2026-01-31' });
  return time ?? new Date(Number.NaN);
});

const pageLimit = (max: number, fallback: number) => z.string().regex(/^\d{1,4}$/, 'an integer').default(String(fallback))
  .transform(Number).pipe(z.number().int().min(1).max(max));

const auditQuery = z.object({
  email: z.string().trim().min(1).max(320).optional().describe('rows naming this address, and rows of the account that has it now'),
  account: z.uuid().optional().describe('rows of this account id'),
  type: z.enum(AUDIT_EVENT_TYPES).optional().describe('one event type'),
  since: when.prefault('24h').describe('from: 30m, 24h, 7d before now, or an ISO 8601 time (default 24h)'),
  until: when.optional().describe('up to (not including) this time'),
  limit: pageLimit(MAX_AUDIT_PAGE, 50).describe(`events per page, 1 to ${MAX_AUDIT_PAGE} (default 50)`),
  before: z.string().max(100).optional().describe('the `next` cursor of an earlier page'),
}).strict();

const deliveryQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  client_id: z.string().min(1).max(200).optional(),
  since: when.prefault('24h').describe('from: 30m, 24h, 7d before now, or an ISO 8601 time (default 24h)'),
  limit: pageLimit(MAX_DELIVERY_PAGE, 50).describe(`deliveries per page, 1 to ${MAX_DELIVERY_PAGE} (default 50)`),
  before: z.string().max(100).optional().describe('the `next` cursor of an earlier page'),
}).strict();

export function addAuditRoutes(routes: ApiRoutes, deps: AuditRoutesDeps): void {
  const { audit, logoutDeliveryAdmin, signingKeys } = deps;

  routes.get('/audit', { tag: 'audit', summary: 'audit events, newest first, a page at a time', query: auditQuery }, async (_ctx, { query }) => {
    const page = await audit.query({
      email: query.email, accountId: query.account, type: query.type, since: query.since, until: query.until, limit: query.limit, before: query.before,
    });
    return { events: page.events.map(auditEventJson), next: page.next ?? null };
  });

  routes.get('/logout-deliveries', {
    tag: 'logout deliveries', summary: 'back-channel logout deliveries, newest first', query: deliveryQuery,
  }, async (_ctx, { query }) => {
    const page = await logoutDeliveryAdmin.list({ status: query.status, clientId: query.client_id, since: query.since, limit: query.limit, before: query.before });
    return { deliveries: page.deliveries.map(deliveryJson), next: page.next ?? null };
  });

  routes.get('/logout-deliveries/summary', {
    tag: 'logout deliveries', summary: 'per client: pending, delivered and failed deliveries of a period',
    query: z.object({ since: when.prefault('24h').describe('from: 30m, 24h, 7d before now, or an ISO 8601 time (default 24h)') }).strict(),
  }, async (_ctx, { query }) => ({
    clients: (await logoutDeliveryAdmin.summary(query.since)).map((row) => ({
      client_id: row.clientId, pending: row.pending, delivered: row.delivered, failed: row.failed,
      last_error: row.lastError, last_attempt_at: row.lastAttemptAt?.toISOString() ?? null,
    })),
  }));

  routes.post('/logout-deliveries/:id/retry', {
    tag: 'logout deliveries', summary: 'queue a failed delivery again, due now',
    responses: { 409: 'the delivery has not failed (it is pending or delivered)' },
  }, async (ctx) => deliveryJson(await logoutDeliveryAdmin.retry(String(ctx.params.id), byCaller(ctx).by)));

  routes.get('/keys', { tag: 'keys', summary: 'token signing keys (public facts only)' }, async () => ({
    keys: (await signingKeys.list()).map((key) => ({ kid: key.kid, alg: key.alg, status: key.status, created_at: key.createdAt.toISOString() })),
  }));
}
