// The two ways load is generated: autocannon for single requests, and a pool of concurrent
// workers for multi-request flows. Both report the same Measurement.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

export interface Measurement {
  /** Successful (2xx / completed) operations per second. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  firstError?: string;
}

export interface CannonOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections; unset means as fast as the target answers. */
  overallRate?: number;
  /** Per-request hooks, for requests that differ (refresh-token chains, token pools). */
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
  onResponse?: (status: number, body: string) => void;
  /** A 2xx answer that this rejects counts as failed, not served. */
  accept?: (status: number, body: string) => boolean;
}

export async function cannon(options: CannonOptions): Promise<Measurement> {
  let firstError: string | undefined;
  let rejected = 0;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [{
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.setupRequest ? { setupRequest: options.setupRequest } : {}),
      onResponse(status, body) {
        const success = status >= 200 && status <= 299;
        if (success && options.accept && !options.accept(status, body)) {
          rejected += 1;
          firstError ??= `rejected ${status} ${body.slice(0, 200)}`;
        }
        if (!success && firstError === undefined) firstError = `${status} ${body.slice(0, 200)}`;
        options.onResponse?.(status, body);
      },
    }],
  });
  const result = await instance;
  const failed = result.non2xx + result.errors + rejected;
  if (result.errors > 0 && firstError === undefined) firstError = `${result.errors} connection errors (${result.timeouts} timeouts)`;
  return {
    perSecond: (result['2xx'] - rejected) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result['2xx'] - rejected,
    failed,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1))]!;
}

/**
 * `workers` loops, each running `task` back to back until the time is up; a task that began before
 * the deadline is allowed to finish and counts. Failures pause their worker briefly, so a broken
 * target is reported rather than hammered.
 */
export async function runWorkers(options: {
  workers: number;
  durationSeconds: number;
  task: (worker: number, iteration: number) => Promise<unknown>;
}): Promise<Measurement> {
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const durations: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(Array.from({ length: options.workers }, async (_, worker) => {
    for (let iteration = 0; performance.now() < deadline; iteration += 1) {
      const begin = performance.now();
      try {
        await options.task(worker, iteration);
        durations.push(performance.now() - begin);
      } catch (error) {
        failed += 1;
        firstError ??= (error as Error).message;
        await sleep(50);
      }
    }
  }));
  const elapsedSeconds = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  return {
    perSecond: durations.length / elapsedSeconds,
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
    ok: durations.length,
    failed,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
