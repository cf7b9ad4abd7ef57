// Runs at most `concurrency` tasks at once and lets at most `maxQueued` more wait; beyond that it
// refuses at once. Password hashing goes through one of these so a flood of sign-ins queues
// behind a fixed share of the CPU instead of taking every core from the token endpoint.
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export interface BoundedQueue {
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createBoundedQueue(options: { concurrency: number; maxQueued: number }): BoundedQueue {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  if (!Number.isInteger(options.maxQueued) || options.maxQueued < 0) throw new RangeError('maxQueued must be a non-negative integer');
  let active = 0;
  const waiting: (() => void)[] = [];

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  }

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < options.concurrency) {
        active += 1;
      } else {
        if (waiting.length >= options.maxQueued) throw new QueueFullError('too many tasks waiting');
        // The slot passes straight from the finishing task to this one; `active` stays the same.
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active() { return active; },
    get waiting() { return waiting.length; },
  };
}
