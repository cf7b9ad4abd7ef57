// Entry of one benchmark target process. The parent forks it with BENCH_TARGET_SPEC, waits for
// the `ready` message, and ends it with `stop` (or by going away: a lost parent ends the target too).
import { rmSync } from 'node:fs';
import { startBareTarget } from './bare-target.js';
import type { TargetSpec } from './fixtures.js';
import { startGatehouseTarget } from './gatehouse-target.js';
import { createProfiler } from './profile.js';

const spec = JSON.parse(process.env.BENCH_TARGET_SPEC ?? 'null') as TargetSpec | null;
if (!spec || !process.send) {
  process.stderr.write('bench target: start me through bench/run.ts (needs BENCH_TARGET_SPEC and an IPC channel)\n');
  process.exit(2);
}

let stopTarget: (() => Promise<void>) | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const forced = setTimeout(() => process.exit(code), 5000);
  forced.unref();
  await stopTarget?.().catch(() => undefined);
  rmSync(spec!.dataDir, { recursive: true, force: true });
  process.exit(code);
}

const profiler = createProfiler();
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') void shutdown(0);
  if (message?.type === 'profile-start') {
    profiler.start().then(() => process.send!({ type: 'profile-started' }), (error: Error) => process.send!({ type: 'profile-failed', message: error.message }));
  }
  if (message?.type === 'profile-stop') {
    profiler.stop().then((summary) => process.send!({ type: 'profile', summary }), (error: Error) => process.send!({ type: 'profile-failed', message: error.message }));
  }
});
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  const target = spec.kind === 'gatehouse' ? await startGatehouseTarget(spec) : await startBareTarget(spec);
  stopTarget = target.stop;
  process.send(target.ready);
} catch (error) {
  process.send({ type: 'failed', message: (error as Error).stack ?? String(error) });
  await shutdown(1);
}
