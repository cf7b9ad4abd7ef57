// The only SQL for audit_events. Rows are listed newest first by (occurred_at, id); a page ends
// with the key of its last row, and the next page starts strictly below it.
import { deleteInBatches, type Queryable } from '../db.js';

export interface NewAuditEventRow {
  type: string;
  outcome: 'success' | 'failure';
  accountId: string | null;
  email: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, string | number | boolean | null>;
  /** Undefined: the database's clock, so rows written by different nodes order by one clock. */
  occurredAt?: Date | undefined;
}

export interface AuditEventRow {
  /** bigserial, as text (it may exceed Number.MAX_SAFE_INTEGER). */
  id: string;
  occurred_at: Date;
  /** occurred_at in UTC to the microsecond, as a string: a Date would round it to milliseconds. */
  occurred_key: string;
  type: string;
  outcome: 'success' | 'failure';
  account_id: string | null;
  email: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, string | number | boolean | null>;
}

export interface AuditEventFilter {
  accountId?: string | undefined;
  /** Rows naming this address, and rows of the account that has it now (both case-insensitive). */
  email?: string | undefined;
  type?: string | undefined;
  since: Date;
  until?: Date | undefined;
  /** Rows strictly older than this row key (occurred_key and id of the last row of a page). */
  before?: { occurredKey: string; id: string } | undefined;
  limit: number;
}

/** One or several rows in one statement (one commit); several for events recorded in batches. */
export async function insertAuditEvents(db: Queryable, rows: readonly NewAuditEventRow[]): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    params.push(row.occurredAt ?? null, row.type, row.outcome, row.accountId, row.email, row.clientId, row.ip, row.userAgent, JSON.stringify(row.detail));
    const n = params.length - 9;
    return `(COALESCE($${n + 1}::timestamptz, now()), $${n + 2}, $${n + 3}, $${n + 4}::uuid, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8}, $${n + 9}::jsonb)`;
  });
  await db.query(
    `INSERT INTO audit_events (occurred_at, type, outcome, account_id, email, client_id, ip, user_agent, detail) VALUES ${tuples.join(', ')}`,
    params,
  );
}

export async function findAuditEvents(db: Queryable, filter: AuditEventFilter): Promise<AuditEventRow[]> {
  const params: unknown[] = [filter.since, filter.limit];
  const where = ['e.occurred_at >= $1'];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (filter.until) add((p) => `e.occurred_at < ${p}`, filter.until);
  if (filter.accountId) add((p) => `e.account_id = ${p}::uuid`, filter.accountId);
  if (filter.type) add((p) => `e.type = ${p}`, filter.type);
  if (filter.email) {
    add((p) => `(lower(e.email) = lower(${p}) OR e.account_id = (SELECT u.id FROM users AS u WHERE lower(u.email) = lower(${p})))`, filter.email);
  }
  if (filter.before) {
    params.push(filter.before.occurredKey, filter.before.id);
    where.push(`(e.occurred_at, e.id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  const result = await db.query<AuditEventRow>(
    `SELECT e.id::text AS id, e.occurred_at,
            to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_key,
            e.type, e.outcome, e.account_id, e.email, e.client_id, e.ip, e.user_agent, e.detail
     FROM audit_events AS e
     WHERE ${where.join(' AND ')}
     ORDER BY e.occurred_at DESC, e.id DESC
     LIMIT $2`,
    params,
  );
  return result.rows;
}

/**
 * Erases the personal data (email, ip, user agent) of an account's rows, keeping the rows and the
 * account id; the number changed. Rows without an account that name the account's current
 * address (failed sign-ins, say) are erased too, so run this before the users row goes.
 */
export async function eraseAuditPersonalData(db: Queryable, accountId: string): Promise<number> {
  const result = await db.query(
    `UPDATE audit_events SET email = NULL, ip = NULL, user_agent = NULL
     WHERE (account_id = $1::uuid
            OR (account_id IS NULL AND lower(email) = (SELECT lower(u.email) FROM users AS u WHERE u.id = $1::uuid)))
       AND (email IS NOT NULL OR ip IS NOT NULL OR user_agent IS NOT NULL)`,
    [accountId],
  );
  return result.rowCount;
}

/** Deletes rows older than retentionDays, batchSize rows per statement; the number deleted. */
export async function deleteAuditEventsOlderThan(db: Queryable, retentionDays: number, batchSize: number): Promise<number> {
  return deleteInBatches(
    db,
    `DELETE FROM audit_events WHERE id IN (
       SELECT id FROM audit_events WHERE occurred_at < now() - make_interval(days => $2) LIMIT $1)`,
    [retentionDays],
    batchSize,
  );
}
