// The physical limit of password sign-ins on this machine: argon2id verifications per second at the
// configured parameters, one at a time (one core) and `cores` at a time (every core). argon2 runs
// on libuv's threadpool, so more concurrent hashes than pool threads only queue.
import { createPasswordService, type Argon2Settings } from '../src/services/passwords.js';
import { runWorkers } from './load.js';

export interface Argon2Rate {
  settings: Argon2Settings;
  threadpoolSize: number;
  perSecondOneAtATime: number;
  perSecondAllCores: number;
  /** The better of the two: on a busy machine `cores` at once can measure below one at a time. */
  limitPerSecond: number;
  concurrency: number;
  msPerHash: number;
}

export async function measureArgon2(settings: Argon2Settings, cores: number, seconds: number): Promise<Argon2Rate> {
  const passwords = createPasswordService(settings);
  const hash = await passwords.hash('bench password 1');
  const verify = async () => {
    const { valid } = await passwords.verify(hash, 'bench password 1');
    if (!valid) throw new Error('argon2 verification failed');
  };
  await runWorkers({ workers: cores, durationSeconds: 0.5, task: verify });
  const single = await runWorkers({ workers: 1, durationSeconds: seconds, task: verify });
  const all = await runWorkers({ workers: cores, durationSeconds: seconds, task: verify });
  return {
    settings,
    threadpoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4,
    perSecondOneAtATime: single.perSecond,
    perSecondAllCores: all.perSecond,
    limitPerSecond: Math.max(single.perSecond, all.perSecond),
    concurrency: cores,
    msPerHash: single.p50Ms,
  };
}
