// What admins see of the back-channel logout outbox, one delivery at a time, and the one thing they
// may do to it: put a delivery that failed for good back in the queue (after fixing the app), for
// the delivery workers to pick up at their next poll. Retrying is audited with the admin's id.
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Database } from '../storage/db.js';
import {
  findLogoutDelivery, listLogoutDeliveries, requeueFailedLogoutDelivery, summarizeLogoutDeliveries,
  type LogoutDeliveryRow, type LogoutDeliveryStatus,
} from '../storage/repositories/logout-deliveries.js';
import { isUuid } from '../uuid.js';
import type { AuditLog } from './audit.js';

export const MAX_DELIVERY_PAGE = 200;
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export interface DeliveryQuery {
  status?: (typeof DELIVERY_STATUSES)[number] | undefined;
  clientId?: string | undefined;
  since: Date;
  limit: number;
  /** The `next` cursor of an earlier page. */
  before?: string | undefined;
}

export interface DeliveryPage {
  deliveries: LogoutDeliveryRow[];
  /** Cursor for the next (older) page, when there may be one. */
  next: string | undefined;
}

const CURSOR = /^(\d{13})\.([0-9a-f-]{36})$/;

function cursorOf(row: LogoutDeliveryRow): string {
  return `${String(row.createdAt.getTime()).padStart(13, '0')}.${row.id}`;
}

function parseCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const match = CURSOR.exec(cursor);
  if (!match || !isUuid(match[2]!)) throw new ValidationError('before: not a cursor printed with an earlier page', { fields: { before: 'not a cursor from an earlier page' } });
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}

export function createLogoutDeliveryAdmin(deps: { database: Database; audit: AuditLog }) {
  const { database, audit } = deps;
  return {
    /** Per client, the period's pending, delivered and failed counts. */
    summary(since: Date): Promise<LogoutDeliveryStatus[]> {
      return summarizeLogoutDeliveries(database, since);
    },

    async list(query: DeliveryQuery): Promise<DeliveryPage> {
      if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_DELIVERY_PAGE) {
        throw new ValidationError(`limit must be an integer from 1 to ${MAX_DELIVERY_PAGE}`, { fields: { limit: `1 to ${MAX_DELIVERY_PAGE}` } });
      }
      const before = parseCursor(query.before);
      // One more than asked tells whether an older page exists.
      const rows = await listLogoutDeliveries(database, { ...query, before, limit: query.limit + 1 });
      const deliveries = rows.slice(0, query.limit);
      return { deliveries, next: rows.length > query.limit ? cursorOf(deliveries.at(-1)!) : undefined };
    },

    async find(id: string): Promise<LogoutDeliveryRow> {
      const delivery = isUuid(id) ? await findLogoutDelivery(database, id) : undefined;
      if (!delivery) throw new NotFoundError(`no back-channel logout delivery ${id.slice(0, 64)}`);
      return delivery;
    },

    /** Queues a failed delivery again; a pending or delivered one is left as it is (409-like refusal). */
    async retry(id: string, by: string): Promise<LogoutDeliveryRow> {
      const current = await this.find(id);
      const requeued = await requeueFailedLogoutDelivery(database, id);
      if (!requeued) throw new ConflictError(`the delivery is ${current.status}; only a failed delivery can be retried`);
      await audit.record({
        type: 'admin.client_changed', outcome: 'success', accountId: requeued.accountId, clientId: requeued.clientId,
        detail: { action: 'logout_delivery_retried', delivery: requeued.id, by },
      });
      return requeued;
    },
  };
}

export type LogoutDeliveryAdmin = ReturnType<typeof createLogoutDeliveryAdmin>;
