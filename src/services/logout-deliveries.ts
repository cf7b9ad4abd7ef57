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
  /** Deliveries in flight on one node at most. */
  batchSize: number;
  /** Deliveries to one client in flight on one node at most. */
  perClientConcurrency: number;
}

/** Where to send one delivery and the token to send; undefined when the client no longer takes one. */
export type MintLogoutToken = (delivery: LogoutDelivery) => Promise<{ uri: string; token: string } | undefined>;

/** Seconds before retry number `attempt` (1 after the first failure): base, doubled each time, capped. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export interface LogoutDeliveryWorker {
  /** Claims what is due now into the free slots; resolves once claimed, not once delivered. */
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
  // Each delivery runs on its own as soon as a slot is free (at most batchSize on this node, at
  // most perClientConcurrency for one client), so an app that hangs or fails holds only its own
  // slots and never delays the notices of another app (OpenID Back-Channel Logout 1.0 §2.7 leaves
  // each RP's logout to that RP; a slow one must not keep the others' sessions alive).
  const inFlightByClient = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  let claiming: Promise<number> | undefined;
  let claimAgain = false;
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
      const attempt = delivery.attempts + 1;
      const retryIn = attempt < settings.maxAttempts ? retryDelaySeconds(attempt, settings.baseDelaySeconds, settings.maxDelaySeconds) : undefined;
      const message = (error as Error).message || String(error);
      logger.warn({ clientId: delivery.clientId, attempts: attempt, retryInSeconds: retryIn ?? null, err: { message } }, 'back-channel logout delivery failed');
      await markLogoutAttemptFailed(database, delivery.id, message, retryIn);
    }
  }

  function launch(delivery: LogoutDelivery): void {
    inFlightByClient.set(delivery.clientId, (inFlightByClient.get(delivery.clientId) ?? 0) + 1);
    const attempt = deliver(delivery)
      .catch((error: Error) => logger.warn({ clientId: delivery.clientId, err: { message: error.message } }, 'back-channel logout outcome not recorded; the lease retries it'))
      .finally(() => {
        const left = (inFlightByClient.get(delivery.clientId) ?? 1) - 1;
        if (left > 0) inFlightByClient.set(delivery.clientId, left);
        else inFlightByClient.delete(delivery.clientId);
        attempts.delete(attempt);
        // A freed slot may take the next due notice at once rather than at the next poll.
        if (!stopped) void claimSafely();
      });
    attempts.add(attempt);
  }

  async function claimIntoFreeSlots(): Promise<number> {
    let total = 0;
    for (;;) {
      const free = settings.batchSize - attempts.size;
      if (free <= 0 || stopped) return total;
      // A client with attempts in flight here is skipped until they end, so it never holds more
      // than perClientConcurrency slots; each claim then reaches further down the queue.
      const due = await claimDueLogoutDeliveries(database, {
        limit: free, leaseSeconds, perClient: settings.perClientConcurrency, skipClients: [...inFlightByClient.keys()],
      });
      due.forEach(launch);
      total += due.length;
      if (due.length === 0) return total;
    }
  }

  function claimSafely(): Promise<number> {
    if (claiming) {
      claimAgain = true;
      return claiming;
    }
    claiming = (async () => {
      let total = 0;
      do {
        claimAgain = false;
        total += await claimIntoFreeSlots();
      } while (claimAgain && !stopped);
      return total;
    })().catch((error: Error) => {
      logger.warn({ err: { message: error.message } }, 'back-channel logout worker failed; will retry');
      return 0;
    }).finally(() => { claiming = undefined; });
    return claiming;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void claimSafely().finally(() => schedule(settings.pollIntervalMs));
    }, delayMs);
    timer.unref();
  }

  schedule(settings.pollIntervalMs);
  return {
    runOnce: claimSafely,
    nudge: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await claiming;
      await Promise.all([...attempts]);
    },
  };
}
