// Parent side of the target processes: start one, wait until it listens, stop it for sure.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TargetReady, TargetSpec } from './fixtures.js';
import type { ProfileSummary } from './profile.js';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface Target {
  name: string;
  kind: TargetSpec['kind'];
  pid: number;
  ready: TargetReady;
  /** Runs `load` with the target's CPU profiler on, and returns where the target spent its time. */
  profile(load: () => Promise<unknown>): Promise<ProfileSummary>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Last resort on the way out: no target outlives the bench, whatever happened. */
export function killAllTargets(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

type Reply = { type: string; message?: string; [key: string]: unknown };

/** The next message of type `wanted` (or a failure) from the child, within `timeoutMs`. */
function reply<T>(child: ChildProcess, name: string, wanted: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const settle = (error: Error | undefined, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    };
    const onMessage = (message: Reply) => {
      if (message.type === wanted) settle(undefined, message as T);
      else if (message.type.endsWith('failed')) settle(new Error(`${name}: ${message.message}`));
    };
    const onExit = (code: number | null, signal: string | null) =>
      settle(new Error(`${name} exited while waiting for ${wanted} (code ${code}, signal ${signal})`));
    const timer = setTimeout(() => settle(new Error(`${name}: no ${wanted} after ${timeoutMs} ms`)), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startTarget(options: {
  name: string;
  buildRoot: string;
  spec: Omit<TargetSpec, 'port' | 'dataDir'>;
}): Promise<Target> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-data-'));
  const spec: TargetSpec = { ...options.spec, port: await freePort(), dataDir };
  const child = fork(path.join(options.buildRoot, 'bench', 'target-process.js'), [], {
    env: { ...process.env, BENCH_TARGET_SPEC: JSON.stringify(spec), NODE_ENV: 'test' },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ready = await reply<TargetReady>(child, options.name, 'ready', READY_TIMEOUT_MS);
    const profile = async (load: () => Promise<unknown>) => {
      const started = reply(child, options.name, 'profile-started', 10_000);
      child.send({ type: 'profile-start' });
      await started;
      await load();
      const summary = reply<{ summary: ProfileSummary }>(child, options.name, 'profile', 30_000);
      child.send({ type: 'profile-stop' });
      return (await summary).summary;
    };
    return { name: options.name, kind: spec.kind, pid: child.pid!, ready, profile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
