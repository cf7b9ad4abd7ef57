// Benchmark knobs, read once from BENCH_* variables. The bench is a tool beside the product, so it
// reads its own environment here rather than through src/config.ts (which is for the IdP).
import os from 'node:os';

export interface BenchOptions {
  /** Measured seconds per scenario and target. */
  durationSeconds: number;
  /** Unmeasured seconds before each measured run (JIT, pools, caches). */
  warmupSeconds: number;
  /** Concurrent connections of the HTTP load generator. */
  connections: number;
  /** Concurrent sign-ins in the code-flow scenario. */
  loginWorkers: number;
  /** Concurrent sign-ins in the login flood that runs beside the token load. */
  floodWorkers: number;
  /** A Postgres server on which a fresh database is created (and dropped) for the run. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Re-run the token and sign-in scenarios with each target's CPU profiler on, and summarize. */
  profile: boolean;
  /** Only these scenario keys (BENCH_SCENARIOS, comma-separated); undefined means all of them. */
  scenarios: string[] | undefined;
  /** Only these targets (BENCH_TARGETS: embedded, external, bare); undefined means all of them. */
  targets: string[] | undefined;
  cores: number;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function list(name: string, allowed: readonly string[]): string[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const values = raw.split(',').map((value) => value.trim()).filter(Boolean);
  const unknown = values.filter((value) => !allowed.includes(value));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
  return values;
}

export const TARGET_NAMES = ['embedded', 'external', 'bare'] as const;

/** `scenarioKeys` are the known scenario keys, to check BENCH_SCENARIOS against. */
export function readBenchOptions(scenarioKeys: readonly string[]): BenchOptions {
  const cores = os.availableParallelism();
  return {
    durationSeconds: positive('BENCH_DURATION_SECONDS', 5),
    warmupSeconds: positive('BENCH_WARMUP_SECONDS', 1),
    connections: Math.round(positive('BENCH_CONNECTIONS', 10)),
    loginWorkers: Math.round(positive('BENCH_LOGIN_WORKERS', cores * 2)),
    floodWorkers: Math.round(positive('BENCH_FLOOD_WORKERS', cores * 4)),
    databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
    redisUrl: process.env.BENCH_REDIS_URL || undefined,
    profile: process.env.BENCH_PROFILE === '1',
    scenarios: list('BENCH_SCENARIOS', scenarioKeys),
    targets: list('BENCH_TARGETS', TARGET_NAMES),
    cores,
  };
}
