// Periodically deletes expired oidc_payloads rows, emailed link tokens and invitations, ended
// rate-limit windows, expired trusted devices and session index entries. Reads already ignore expired rows, so the
// sweeper only reclaims space; a missed or failed run costs nothing but disk. It also deletes audit
// events older than the retention period (settings.audit.retentionDays).
import type { Queryable } from './db.js';
import { deleteExpiredRateLimits } from './rate-limit-store.js';
import { deleteFailedAccountMailJobs } from './repositories/account-mail-jobs.js';
import { deleteAuditEventsOlderThan } from './repositories/audit-events.js';
import { deleteExpiredRows, type ExpiringTable } from './repositories/expired-rows.js';
import { deleteFinishedLogoutDeliveries } from './repositories/logout-deliveries.js';
import { deleteExpiredPayloads } from './repositories/oidc-payloads.js';

// The single-use emailed links: verification, reset, invitation, unlock, "this wasn't me".
// Single-use links, remembered devices, the session index and federated sessions: expired rows go.
const EXPIRING: readonly ExpiringTable[] = [
  'email_verification_tokens', 'password_reset_tokens', 'invitations', 'unlock_tokens', 'sign_in_alert_tokens',
  'trusted_devices', 'account_sessions', 'federated_sessions', 'source_lockouts', 'organisation_invitations', 'personal_access_tokens',
  'email_change_undo_tokens',
];

export interface SweeperOptions {
  database: Queryable;
  intervalSeconds: number;
  /** Rows per DELETE statement, so no sweep holds locks for long. */
  batchSize: number;
  /** Failures of timer-driven sweeps; a direct sweepOnce() rejects instead. */
  onError: (error: unknown) => void;
  /** Audit events older than this many days are deleted; undefined keeps them all. */
  auditRetentionDays?: number | undefined;
  /** Delivered or abandoned back-channel logout notices older than this many days are deleted. */
  logoutDeliveryRetentionDays?: number | undefined;
  /** Account mail given up this many days ago is deleted (sent mail leaves the queue at once). */
  accountMailRetentionDays?: number | undefined;
}

export interface Sweeper {
  /** Stops the timer and waits for a sweep in flight. */
  stop(): Promise<void>;
  /** Sweeps now (joining a sweep already running); resolves to the number of rows deleted. */
  sweepOnce(): Promise<number>;
}

export function startSweeper(options: SweeperOptions): Sweeper {
  const { database, intervalSeconds, batchSize, onError, auditRetentionDays, logoutDeliveryRetentionDays, accountMailRetentionDays } = options;
  if (!(intervalSeconds > 0)) throw new RangeError('intervalSeconds must be positive');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');

  let inFlight: Promise<number> | undefined;

  async function sweepAll(): Promise<number> {
    const payloads = await deleteExpiredPayloads(database, batchSize);
    // One batch each: these tables are small, and the next sweep takes the rest.
    let expired = 0;
    for (const table of EXPIRING) expired += await deleteExpiredRows(database, table, batchSize);
    const hits = await deleteExpiredRateLimits(database, batchSize);
    const deliveries = logoutDeliveryRetentionDays === undefined ? 0 : await deleteFinishedLogoutDeliveries(database, logoutDeliveryRetentionDays, batchSize);
    const mailJobs = accountMailRetentionDays === undefined ? 0 : await deleteFailedAccountMailJobs(database, accountMailRetentionDays, batchSize);
    // In batches until done: a busy server writes more audit rows per interval than one batch.
    const auditEvents = auditRetentionDays === undefined ? 0 : await deleteAuditEventsOlderThan(database, auditRetentionDays, batchSize);
    return payloads + expired + hits + deliveries + mailJobs + auditEvents;
  }

  function sweepOnce(): Promise<number> {
    inFlight ??= sweepAll().finally(() => { inFlight = undefined; });
    return inFlight;
  }

  const timer = setInterval(() => { sweepOnce().catch(onError); }, intervalSeconds * 1000);
  timer.unref();

  return {
    sweepOnce,
    async stop() {
      clearInterval(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}
