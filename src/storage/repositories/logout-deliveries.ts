// The only SQL for logout_deliveries: the durable outbox of back-channel logout notices.
import type { Queryable } from '../db.js';

export interface NewLogoutDelivery {
  clientId: string;
  accountId: string;
  sid: string | undefined;
  jti: string;
  reason: string;
}

export interface LogoutDelivery extends NewLogoutDelivery {
  id: string;
  /** Attempts made before this one. */
  attempts: number;
}

export interface LogoutDeliveryStatus {
  clientId: string;
  pending: number;
  delivered: number;
  failed: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
}

/** All rows in one statement: either every client of the session is told, or none is queued. */
export async function insertLogoutDeliveries(db: Queryable, deliveries: NewLogoutDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  const values: unknown[] = [];
  const tuples = deliveries.map((delivery, index) => {
    values.push(delivery.clientId, delivery.accountId, delivery.sid ?? null, delivery.jti, delivery.reason);
    const base = index * 5;
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5})`;
  });
  await db.query(`INSERT INTO logout_deliveries (client_id, account_id, sid, jti, reason) VALUES ${tuples.join(', ')}`, values);
}

export interface ClaimOptions {
  limit: number;
  leaseSeconds: number;
  /** At most this many rows of one client in one claim. */
  perClient: number;
  /** Clients this worker is already sending to: none of their rows is claimed now. */
  skipClients: string[];
}

/**
 * Claims up to `limit` due deliveries for this worker: they are pushed `leaseSeconds` into the
 * future in the same statement, so another node skips them (SKIP LOCKED) now and only retries
 * them if this one dies before recording the outcome. Rows beyond `perClient` for one client stay
 * due (their lock ends with the statement), so one client's backlog cannot fill every slot.
 */
export async function claimDueLogoutDeliveries(db: Queryable, options: ClaimOptions): Promise<LogoutDelivery[]> {
  const result = await db.query<{ id: string; client_id: string; account_id: string; sid: string | null; jti: string; reason: string; attempts: number }>(
    `WITH candidates AS (
       SELECT id, client_id, next_attempt_at FROM logout_deliveries
       WHERE status = 'pending' AND next_attempt_at <= now() AND NOT (client_id = ANY($4::text[]))
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED),
     ranked AS (
       SELECT id, row_number() OVER (PARTITION BY client_id ORDER BY next_attempt_at) AS place FROM candidates)
     UPDATE logout_deliveries SET next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
     WHERE id IN (SELECT id FROM ranked WHERE place <= $3)
     RETURNING id, client_id, account_id, sid, jti, reason, attempts`,
    [options.limit, options.leaseSeconds, options.perClient, options.skipClients],
  );
  return result.rows.map((row) => ({
    id: row.id, clientId: row.client_id, accountId: row.account_id, sid: row.sid ?? undefined, jti: row.jti, reason: row.reason, attempts: row.attempts,
  }));
}

export async function markLogoutDelivered(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE logout_deliveries SET status = 'delivered', attempts = attempts + 1, last_error = NULL, updated_at = now() WHERE id = $1`,
    [id],
  );
}

/** A failed attempt: retried after `retryInSeconds`, or given up when that is undefined. */
export async function markLogoutAttemptFailed(db: Queryable, id: string, error: string, retryInSeconds: number | undefined): Promise<void> {
  await db.query(
    `UPDATE logout_deliveries SET attempts = attempts + 1, last_error = $2, updated_at = now(),
       status = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = CASE WHEN $3::int IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $3::int) END
     WHERE id = $1`,
    [id, error.slice(0, 300), retryInSeconds ?? null],
  );
}

/** Per client, the deliveries queued since `since`: how many are pending, delivered, failed. */
export async function summarizeLogoutDeliveries(db: Queryable, since: Date): Promise<LogoutDeliveryStatus[]> {
  const result = await db.query<{ client_id: string; pending: string; delivered: string; failed: string; last_error: string | null; last_attempt_at: Date | null }>(
    `SELECT client_id,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'delivered') AS delivered,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       (array_agg(last_error ORDER BY updated_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS last_error,
       max(updated_at) FILTER (WHERE attempts > 0) AS last_attempt_at
     FROM logout_deliveries WHERE created_at >= $1 GROUP BY client_id ORDER BY client_id`,
    [since],
  );
  return result.rows.map((row) => ({
    clientId: row.client_id, pending: Number(row.pending), delivered: Number(row.delivered), failed: Number(row.failed),
    lastError: row.last_error, lastAttemptAt: row.last_attempt_at,
  }));
}

/** Deletes up to `limit` finished deliveries older than `days`; the number deleted. */
export async function deleteFinishedLogoutDeliveries(db: Queryable, days: number, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM logout_deliveries WHERE id IN (
       SELECT id FROM logout_deliveries WHERE status <> 'pending' AND updated_at < now() - make_interval(days => $1) LIMIT $2)`,
    [days, limit],
  );
  return result.rowCount;
}

export interface LogoutDeliveryRow {
  id: string;
  clientId: string;
  accountId: string;
  sid: string | null;
  reason: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface LogoutDeliveryFilter {
  status?: 'pending' | 'delivered' | 'failed' | undefined;
  clientId?: string | undefined;
  since: Date;
  limit: number;
  /** Keyset cursor: rows created before this (created_at, id). */
  before?: { createdAt: Date; id: string } | undefined;
}

type DeliveryDbRow = {
  id: string; client_id: string; account_id: string; sid: string | null; reason: string; status: LogoutDeliveryRow['status'];
  attempts: number; next_attempt_at: Date; last_error: string | null; created_at: Date; updated_at: Date;
};

function deliveryOf(row: DeliveryDbRow): LogoutDeliveryRow {
  return {
    id: row.id, clientId: row.client_id, accountId: row.account_id, sid: row.sid, reason: row.reason, status: row.status,
    attempts: row.attempts, nextAttemptAt: row.next_attempt_at, lastError: row.last_error, createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

const DELIVERY_COLUMNS = 'id, client_id, account_id, sid, reason, status, attempts, next_attempt_at, last_error, created_at, updated_at';

/** Deliveries one by one, newest first (the jti stays here: it is the logout token's id). */
export async function listLogoutDeliveries(db: Queryable, filter: LogoutDeliveryFilter): Promise<LogoutDeliveryRow[]> {
  const result = await db.query<DeliveryDbRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM logout_deliveries
      WHERE created_at >= $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR client_id = $3)
        AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $6`,
    [filter.since, filter.status ?? null, filter.clientId ?? null, filter.before?.createdAt ?? null, filter.before?.id ?? null, filter.limit],
  );
  return result.rows.map(deliveryOf);
}

export async function findLogoutDelivery(db: Queryable, id: string): Promise<LogoutDeliveryRow | undefined> {
  const result = await db.query<DeliveryDbRow>(`SELECT ${DELIVERY_COLUMNS} FROM logout_deliveries WHERE id = $1`, [id]);
  return result.rows[0] && deliveryOf(result.rows[0]);
}

/** A failed delivery back in the queue, due now, with its backoff started over; undefined unless it had failed. */
export async function requeueFailedLogoutDelivery(db: Queryable, id: string): Promise<LogoutDeliveryRow | undefined> {
  const result = await db.query<DeliveryDbRow>(
    `UPDATE logout_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
      WHERE id = $1 AND status = 'failed' RETURNING ${DELIVERY_COLUMNS}`,
    [id],
  );
  return result.rows[0] && deliveryOf(result.rows[0]);
}
