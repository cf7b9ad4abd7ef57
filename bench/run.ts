// `npm run bench`: starts Gatehouse (embedded, and on Postgres + Redis when BENCH_DATABASE_URL /
// BENCH_REDIS_URL are set) and a bare oidc-provider, each in its own process, drives the same
// scenarios against each from this process, prints one table and writes bench/results/<date>.json.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings, PROJECT_ROOT } from '../src/config.js';
import { measureArgon2, type Argon2Rate } from './argon2-rate.js';
import { buildTargets } from './build.js';
import { codeFlow } from './flows.js';
import { runWorkers, type Measurement } from './load.js';
import { readBenchOptions, type BenchOptions } from './options.js';
import type { Report, TargetCheck, TargetReport } from './report.js';
import { readMemory } from './rss.js';
import { clientCredentialsLoad, isMeasurement, SCENARIOS, type Outcome } from './scenarios.js';
import { benchKeyPrefix, createBenchDatabase, deleteRedisKeys } from './stores.js';
import { renderTable } from './table.js';
import { killAllTargets, startTarget, type Target } from './targets.js';

const SETTLE_MS = 2000;
const ARGON2_SECONDS = 3;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const cleanups: (() => Promise<unknown>)[] = [];

async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    await step().catch((error: unknown) => log(`clean-up step failed: ${(error as Error).message}`));
  }
}

process.on('exit', killAllTargets);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping targets and cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

interface Running {
  target: Target;
  idleMiB: number;
}

async function startTargets(options: BenchOptions, buildRoot: string): Promise<Running[]> {
  const wanted = (name: string) => !options.targets || options.targets.includes(name);
  const specs: { name: string; spec: Parameters<typeof startTarget>[0]['spec'] }[] = [];
  if (wanted('embedded')) specs.push({ name: 'embedded', spec: { kind: 'gatehouse' } });
  if (options.databaseUrl && wanted('external')) {
    const database = await createBenchDatabase(options.databaseUrl);
    cleanups.push(() => database.drop());
    const redisKeyPrefix = options.redisUrl ? benchKeyPrefix() : undefined;
    if (options.redisUrl && redisKeyPrefix) {
      const redisUrl = options.redisUrl;
      cleanups.push(() => deleteRedisKeys(redisUrl, redisKeyPrefix).then((n) => log(`removed ${n} Redis keys under ${redisKeyPrefix}`)));
    }
    specs.push({ name: 'external', spec: { kind: 'gatehouse', databaseUrl: database.url, redisUrl: options.redisUrl, redisKeyPrefix } });
  } else if (options.redisUrl && !options.databaseUrl) {
    log('BENCH_REDIS_URL is ignored without BENCH_DATABASE_URL (Redis only holds the short-lived half)');
  }
  if (wanted('bare')) specs.push({ name: 'bare', spec: { kind: 'bare' } });

  const running: Running[] = [];
  for (const { name, spec } of specs) {
    log(`starting ${name} (${spec.kind})`);
    const target = await startTarget({ name, buildRoot, spec });
    cleanups.push(() => target.stop());
    await sleep(SETTLE_MS);
    const idleMiB = readMemory(target.pid)?.rssMiB ?? Number.NaN;
    log(`${name}: ${target.ready.storage} at ${target.ready.url}, idle RSS ${idleMiB.toFixed(0)} MiB`);
    running.push({ target, idleMiB });
  }
  return running;
}

async function measure(label: string, name: string, options: BenchOptions, run: (seconds: number) => Promise<Outcome>): Promise<Outcome> {
  const warm = await run(options.warmupSeconds);
  if (!isMeasurement(warm)) return warm;
  const outcome = await run(options.durationSeconds);
  if (isMeasurement(outcome)) {
    log(`${label} on ${name}: ${outcome.perSecond.toFixed(1)}/s, p50 ${outcome.p50Ms.toFixed(1)} ms, p99 ${outcome.p99Ms.toFixed(1)} ms`
      + (outcome.failed > 0 ? `, ${outcome.failed} failed (${outcome.firstError})` : ''));
  }
  return outcome;
}

/** The login flood runs from before the token load starts until after it ends. */
async function tokenBesideLoginFlood(running: Running, options: BenchOptions, ratePerSecond: number) {
  const { ready } = running.target;
  const flood = runWorkers({
    workers: options.floodWorkers,
    durationSeconds: options.warmupSeconds + options.durationSeconds + 0.5,
    task: (worker, iteration) => codeFlow(ready, ready.users[(worker + iteration * options.floodWorkers) % ready.users.length]!),
  });
  await sleep(options.warmupSeconds * 1000);
  const token = await clientCredentialsLoad(ready, options, options.durationSeconds, ratePerSecond);
  return { ratePerSecond, token, logins: await flood };
}

function ratioOf(report: Report, key: string, name: string): number {
  const results = report.scenarios.find((s) => s.key === key)?.results;
  const mine = results?.[name];
  const bare = results?.bare;
  return isMeasurement(mine) && isMeasurement(bare) && bare.perSecond > 0 ? mine.perSecond / bare.perSecond : Number.NaN;
}

function checks(report: Report): TargetCheck[] {
  const external = report.targets.find((t) => t.name === 'external');
  const primary = external ?? report.targets.find((t) => t.name === 'embedded');
  if (!primary) return [];
  const where = external ? `${primary.name} (${primary.storage})` : `${primary.name} (no external stores in this run)`;
  const list: TargetCheck[] = [];
  for (const [key, label] of [['clientCredentialsOpaque', 'opaque'], ['clientCredentialsJwt', 'JWT ES256']] as const) {
    const ratio = ratioOf(report, key, primary.name);
    list.push({
      goal: `client_credentials (${label}) with Postgres + Redis >= 0.85x bare`,
      measured: Number.isFinite(ratio) ? `${ratio.toFixed(2)}x on ${where}` : 'not measured',
      met: Number.isFinite(ratio) && external ? ratio >= 0.85 : null,
    });
  }
  const limit = report.argon2.limitPerSecond;
  const flows = report.targets.filter((t) => t.kind === 'gatehouse').map((t) => {
    const outcome = report.scenarios.find((s) => s.key === 'codeFlow')?.results[t.name];
    return { name: t.name, perSecond: isMeasurement(outcome) ? outcome.perSecond : Number.NaN };
  });
  const primaryFlow = flows.find((f) => f.name === primary.name)!.perSecond;
  list.push({
    goal: 'full code flow >= 0.8x the argon2 limit',
    measured: flows.map((f) => `${f.name} ${f.perSecond.toFixed(1)}/s = ${(f.perSecond / limit).toFixed(2)}x of ${limit.toFixed(1)}/s`).join('; '),
    met: Number.isFinite(primaryFlow) ? primaryFlow / limit >= 0.8 : null,
  });
  const half = report.tokenAtHalfPeak[primary.name];
  list.push({
    goal: 'token endpoint p99 < 25 ms at half its peak rate',
    measured: half ? `p99 ${half.token.p99Ms.toFixed(1)} ms at ${half.ratePerSecond} req/s on ${where}` : 'not measured',
    met: half ? half.token.p99Ms < 25 : null,
  });
  const flood = report.tokenWhileLoginsSaturate[primary.name];
  list.push({
    goal: 'login flood does not starve the token endpoint (read as: the half-peak rate is still served, p99 < 25 ms)',
    measured: flood
      ? `${flood.token.perSecond.toFixed(0)} of ${flood.ratePerSecond} req/s served, p99 ${flood.token.p99Ms.toFixed(1)} ms beside ${flood.logins.perSecond.toFixed(1)} sign-ins/s on ${where}`
      : 'not measured',
    met: flood ? flood.token.perSecond >= 0.95 * flood.ratePerSecond && flood.token.p99Ms < 25 : null,
  });
  list.push({
    goal: 'idle RSS < 150 MB with external stores (read as: just started, before the bench seeds accounts)',
    measured: report.targets.map((t) => `${t.name} ${(t.rss.listeningMiB * 1.048576).toFixed(0)} MB`).join(', '),
    met: external ? external.rss.listeningMiB * 1.048576 < 150 : null,
  });
  return list;
}

async function main(): Promise<void> {
  const options = readBenchOptions(SCENARIOS.map((s) => s.key));
  // A focused run (BENCH_SCENARIOS / BENCH_TARGETS) measures only what it names: no argon2 rate unless
  // the code flow is in it, no half-peak or login-flood phases, and its results go to the temp dir.
  const focused = options.scenarios !== undefined || options.targets !== undefined;
  const selected = SCENARIOS.filter((s) => !options.scenarios || options.scenarios.includes(s.key));
  const loadAverageAtStart = os.loadavg().map((l) => Number(l.toFixed(2)));
  const settings = loadSettings();
  log(`${options.durationSeconds} s per scenario after ${options.warmupSeconds} s warm-up, ${options.connections} connections, ${options.cores} cores`);

  let argon2: Argon2Rate;
  if (selected.some((s) => s.key === 'codeFlow')) {
    log('measuring argon2id on an idle machine');
    argon2 = await measureArgon2(settings.argon2, options.cores, ARGON2_SECONDS);
  } else {
    argon2 = { settings: settings.argon2, threadpoolSize: 0, perSecondOneAtATime: Number.NaN, perSecondAllCores: Number.NaN,
      limitPerSecond: Number.NaN, concurrency: options.cores, msPerHash: Number.NaN };
  }

  const buildRoot = buildTargets();
  cleanups.push(async () => rmSync(buildRoot, { recursive: true, force: true }));
  const running = await startTargets(options, buildRoot);

  const scenarios: Report['scenarios'] = [];
  const profiles: Report['profiles'] = {};
  for (const scenario of selected) {
    const results: Record<string, Outcome> = {};
    // Targets take turns within a scenario, so drift on a shared machine spreads over all of them.
    for (const { target } of running) {
      await scenario.prepare?.(target.ready, options);
      results[target.name] = await measure(scenario.label, target.name, options, (seconds) =>
        scenario.run({ target: target.ready, options, seconds }));
      if (options.profile && scenario.profiled && isMeasurement(results[target.name])) {
        (profiles[scenario.key] ??= {})[target.name] = await target.profile(() =>
          scenario.run({ target: target.ready, options, seconds: options.durationSeconds }));
      }
    }
    scenarios.push({ key: scenario.key, label: scenario.label, results });
  }

  const tokenAtHalfPeak: Report['tokenAtHalfPeak'] = {};
  const tokenWhileLoginsSaturate: Report['tokenWhileLoginsSaturate'] = {};
  for (const run of focused ? [] : running) {
    const { name, ready } = { name: run.target.name, ready: run.target.ready };
    const peak = scenarios.find((s) => s.key === 'clientCredentialsOpaque')!.results[name];
    if (!isMeasurement(peak) || peak.perSecond < 2) continue;
    const ratePerSecond = Math.floor(peak.perSecond / 2);
    const token = await measure('token at half peak', name, options, (seconds) => clientCredentialsLoad(ready, options, seconds, ratePerSecond));
    tokenAtHalfPeak[name] = { ratePerSecond, token: token as Measurement };
    if (ready.hasLoginPages) {
      log(`login flood (${options.floodWorkers} concurrent sign-ins) beside ${ratePerSecond} token req/s on ${name}`);
      tokenWhileLoginsSaturate[name] = await tokenBesideLoginFlood(run, options, ratePerSecond);
    }
  }

  await sleep(SETTLE_MS);
  const targets: TargetReport[] = running.map(({ target, idleMiB }) => {
    const memory = readMemory(target.pid);
    return {
      name: target.name,
      kind: target.kind,
      storage: target.ready.storage,
      rss: { listeningMiB: target.ready.listeningRssMiB, idleMiB, afterLoadMiB: memory?.rssMiB ?? Number.NaN, peakMiB: memory?.peakMiB ?? Number.NaN },
    };
  });

  const now = new Date();
  const report: Report = {
    date: now.toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: options.cores,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    },
    options: {
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      loginWorkers: options.loginWorkers,
      floodWorkers: options.floodWorkers,
    },
    argon2,
    targets,
    scenarios,
    tokenAtHalfPeak,
    tokenWhileLoginsSaturate,
    profiles,
    checks: [],
    notes: [
      'load is generated from the same machine (autocannon and the sign-in workers share the cores with the targets)',
      'figures are noisy on a shared machine: read the ratios of one run, not absolute numbers across runs',
    ],
  };
  report.checks = checks(report);

  process.stdout.write(`\n${renderTable(report)}\n`);
  const dir = focused ? os.tmpdir() : path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Date and time (UTC, to the second), so a second run on one day keeps the first one's file.
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-');
  const file = path.join(dir, `${focused ? 'gatehouse-bench-focused-' : ''}${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), file)}`);
}

try {
  await main();
} catch (error) {
  log(`failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
