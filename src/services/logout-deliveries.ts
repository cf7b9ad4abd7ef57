// Delivers the back-channel logout outbox (OpenID Back-Channel Logout 1.0): every node runs this
// worker; each claims due rows (SKIP LOCKED, so nodes share the work without sending twice), mints
// a fresh logout token per attempt, POSTs it, and records the outcome. A failure is retried after
// a doubling delay until maxAttempts, then marked failed; `gatehouse logout-deliveries` shows it.
import type { Logger } from '../logger.js';
import type { Database } from '../storage/db.js';
import {
  claimDueLogoutDeliveries, markLogoutAttemptFailed, markLogoutDelivered, type LogoutDelivery,
} from '../storage/repositories/logout-deliveries.js';
import type { PostLogoutToken } from './backchannel-http.js';

export interface LogoutDeliverySettings {
  timeoutMs: number;
  maxAttempts: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  pollIntervalMs: number;
  batchSize: number;
}

/** Where to send one delivery and the token to send; undefined when the client no longer takes one. */
export type MintLogoutToken = (delivery: LogoutDelivery) => Promise<{ uri: string; token: string } | undefined>;

/** Seconds before retry number `attempt` (1 after the first failure): base, doubled each time, capped. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export interface LogoutDeliveryWorker {
  /** Claims and delivers what is due now; resolves to the number of deliveries attempted. */
  runOnce(): Promise<number>;
  /** Runs soon instead of at the next poll (a session just ended on this node). */
  nudge(): void;
  /** Stops polling and waits for the attempts in flight. */
  stop(): Promise<void>;
}

export function startLogoutDeliveryWorker(deps: {
  database: Database;
  mint: MintLogoutToken;
  post: PostLogoutToken;
  settings: LogoutDeliverySettings;
  logger: Logger;
}): LogoutDeliveryWorker {
  const { database, mint, post, settings, logger } = deps;
  // Long enough for one attempt to finish and its outcome to be written; then another node may retry.
  const leaseSeconds = Math.ceil(settings.timeoutMs / 1000) + 30;
  let inFlight: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function deliver(delivery: LogoutDelivery): Promise<void> {
    try {
      const target = await mint(delivery);
      if (!target) {
        await markLogoutAttemptFailed(database, delivery.id, 'the client has no backchannel_logout_uri any more', undefined);
        return;
      }
      await post(target.uri, target.token);
      await markLogoutDelivered(database, delivery.id);
    } catch (error) {
      const attempts = delivery.attempts + 1;
      const retryIn = attempts < settings.maxAttempts ? retryDelaySeconds(attempts, settings.baseDelaySeconds, settings.maxDelaySeconds) : undefined;
      const message = (error as Error).message || String(error);
      logger.warn({ clientId: delivery.clientId, attempts, retryInSeconds: retryIn ?? null, err: { message } }, 'back-channel logout delivery failed');
      await markLogoutAttemptFailed(database, delivery.id, message, retryIn);
    }
  }

  async function deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await claimDueLogoutDeliveries(database, settings.batchSize, leaseSeconds);
      await Promise.all(due.map(deliver));
      total += due.length;
      if (due.length < settings.batchSize || stopped) return total;
    }
  }

  function runOnce(): Promise<number> {
    inFlight ??= deliverDue().finally(() => { inFlight = undefined; });
    return inFlight;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      runOnce().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'back-channel logout worker failed; will retry'))
        .finally(() => schedule(settings.pollIntervalMs));
    }, delayMs);
    timer.unref();
  }

  schedule(settings.pollIntervalMs);
  return {
    runOnce,
    nudge: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}
