// The account pages' mail goes through a durable queue (ASVS 5.0 V6.3.8: no account enumeration).
// A request only checks its limits and queues the address, the same work whether or not the
// address has an account; a worker on every node then looks the address up, mints the link token
// and sends the mail after the answer has left. A row is claimed with SKIP LOCKED, so nodes share
// the work without sending twice; a failed delivery is retried after a doubling delay until
// maxAttempts, then kept as failed (and logged) for the operator.
import { MailDeliveryError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database, Queryable } from '../storage/db.js';
import {
  claimDueAccountMailJobs, deleteAccountMailJob, insertAccountMailJob, markAccountMailAttemptFailed,
  type AccountMailJob, type AccountMailKind,
} from '../storage/repositories/account-mail-jobs.js';
import type { RequestOrigin } from './audit.js';
import { isTransient } from './email.js';
import { retryDelaySeconds } from './logout-deliveries.js';

export type { AccountMailJob, AccountMailKind } from '../storage/repositories/account-mail-jobs.js';

export interface AccountMailQueue {
  /**
   * Queues the mail of `kind` for `email`; one INSERT (in `db`, a caller's transaction, if given),
   * whatever the address. `clientId` names the app the person was signing in to, for the link's page.
   */
  enqueue(kind: AccountMailKind, email: string, origin: RequestOrigin | undefined, options?: { db?: Queryable; clientId?: string | undefined }): Promise<void>;
}

export function createAccountMailQueue(database: Database): AccountMailQueue {
  return {
    async enqueue(kind, email, origin, options = {}) {
      const job = { kind, email, ip: origin?.ip ?? null, userAgent: origin?.userAgent ?? null, clientId: options.clientId ?? null };
      await insertAccountMailJob(options.db ?? database, job);
    },
  };
}

/** Sends one job's mail (or nothing, for an address without a fitting account); throws to retry. */
export type SendAccountMail = (job: AccountMailJob) => Promise<void>;

export interface AccountMailQueueSettings {
  pollIntervalMs: number;
  maxAttempts: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  batchSize: number;
}

export interface AccountMailWorker {
  /** Waits for a run in flight, then sends what is due now; resolves to the number of jobs tried. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for the jobs in flight. */
  stop(): Promise<void>;
}

/** A refusal no retry can fix (RFC 5321 §4.2.1: a 5yz reply) is given up at once. */
function isPermanent(error: unknown): boolean {
  return error instanceof MailDeliveryError && !isTransient(error.cause);
}

export function startAccountMailWorker(deps: {
  database: Database;
  senders: Record<AccountMailKind, SendAccountMail>;
  settings: AccountMailQueueSettings;
  /** Longest a single send may take, the mailer's own retries included. */
  sendTimeoutMs: number;
  logger: Logger;
}): AccountMailWorker {
  const { database, senders, settings, sendTimeoutMs, logger } = deps;
  // Long enough for one send to finish and its outcome to be written; then another node may retry.
  const leaseSeconds = Math.ceil(sendTimeoutMs / 1000) + 30;
  let chain: Promise<number> = Promise.resolve(0);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function send(job: AccountMailJob): Promise<void> {
    try {
      await senders[job.kind](job);
      await deleteAccountMailJob(database, job.id);
    } catch (error) {
      const attempts = job.attempts + 1;
      const retryIn = attempts < settings.maxAttempts && !isPermanent(error)
        ? retryDelaySeconds(attempts, settings.baseDelaySeconds, settings.maxDelaySeconds) : undefined;
      // The message names neither the address nor a link: mail errors are redacted by the mailer.
      const message = (error as Error).message || String(error);
      const log = { jobId: job.id, kind: job.kind, attempts, retryInSeconds: retryIn ?? null, err: { message } };
      if (retryIn === undefined) logger.error(log, 'account mail given up');
      else logger.warn(log, 'account mail not sent; will retry');
      await markAccountMailAttemptFailed(database, job.id, message, retryIn);
    }
  }

  async function sendDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await claimDueAccountMailJobs(database, settings.batchSize, leaseSeconds);
      await Promise.all(due.map(send));
      total += due.length;
      if (due.length < settings.batchSize || stopped) return total;
    }
  }

  function runOnce(): Promise<number> {
    chain = chain.catch(() => 0).then(sendDue);
    return chain;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'account mail worker failed; will retry'))
        .finally(schedule);
    }, settings.pollIntervalMs);
    timer.unref();
  }

  schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await chain.catch(() => undefined);
    },
  };
}
