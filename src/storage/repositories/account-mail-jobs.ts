// The only SQL for account_mail_jobs: the durable queue of mail the account pages ask for.
import type { Queryable } from '../db.js';

export type AccountMailKind = 'password_reset' | 'verification' | 'registration_attempt';

export interface NewAccountMailJob {
  kind: AccountMailKind;
  email: string;
  ip: string | null;
  userAgent: string | null;
  /** The app the person was signing in to, if any: the mailed link offers to continue to it. */
  clientId?: string | null;
}

export interface AccountMailJob extends NewAccountMailJob {
  id: string;
  /** Attempts made before this one. */
  attempts: number;
}

export async function insertAccountMailJob(db: Queryable, job: NewAccountMailJob): Promise<void> {
  await db.query(
    'INSERT INTO account_mail_jobs (kind, email, ip, user_agent, client_id) VALUES ($1, $2, $3, $4, $5)',
    [job.kind, job.email.slice(0, 320), job.ip, job.userAgent?.slice(0, 512) ?? null, job.clientId ?? null],
  );
}

/**
 * Claims up to `limit` due jobs: they are pushed `leaseSeconds` into the future in the same
 * statement, so another node skips them (SKIP LOCKED) and only takes them over if this one dies
 * before recording the outcome.
 */
export async function claimDueAccountMailJobs(db: Queryable, limit: number, leaseSeconds: number): Promise<AccountMailJob[]> {
  const result = await db.query<{ id: string; kind: AccountMailKind; email: string; ip: string | null; user_agent: string | null; attempts: number; client_id: string | null }>(
    `UPDATE account_mail_jobs SET next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
     WHERE id IN (
       SELECT id FROM account_mail_jobs WHERE status = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, email, ip, user_agent, attempts, client_id`,
    [limit, leaseSeconds],
  );
  return result.rows.map((row) => ({ id: row.id, kind: row.kind, email: row.email, ip: row.ip, userAgent: row.user_agent, attempts: row.attempts, clientId: row.client_id }));
}

/** Done: the row goes, so the queue keeps no address longer than it needs. */
export async function deleteAccountMailJob(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM account_mail_jobs WHERE id = $1', [id]);
}

/** A failed attempt: retried after `retryInSeconds`, or given up when that is undefined. */
export async function markAccountMailAttemptFailed(db: Queryable, id: string, error: string, retryInSeconds: number | undefined): Promise<void> {
  await db.query(
    `UPDATE account_mail_jobs SET attempts = attempts + 1, last_error = $2, updated_at = now(),
       status = CASE WHEN $3::int IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = CASE WHEN $3::int IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $3::int) END
     WHERE id = $1`,
    [id, error.slice(0, 300), retryInSeconds ?? null],
  );
}

/** Deletes up to `limit` given-up jobs older than `days`; the number deleted. */
export async function deleteFailedAccountMailJobs(db: Queryable, days: number, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM account_mail_jobs WHERE id IN (
       SELECT id FROM account_mail_jobs WHERE status = 'failed' AND updated_at < now() - make_interval(days => $1) LIMIT $2)`,
    [days, limit],
  );
  return result.rowCount;
}
