import { describe, expect, it } from 'vitest';
import { createBoundedQueue, QueueFullError } from '../../src/services/bounded-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('bounded queue', () => {
  it('runs at most `concurrency` tasks at once, the rest in arrival order', async () => {
    const queue = createBoundedQueue({ concurrency: 2, maxQueued: 10 });
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const done = gates.map((gate, index) => queue.run(async () => { started.push(index); await gate.promise; return index; }));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(queue.active).toBe(2);
    expect(queue.waiting).toBe(3);
    gates[1]!.resolve();
    await done[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
    expect(queue.active).toBe(0);
  });

  it('refuses at once when the waiting line is full, and frees slots after failures', async () => {
    const queue = createBoundedQueue({ concurrency: 1, maxQueued: 1 });
    const gate = deferred();
    const first = queue.run(() => gate.promise);
    const second = queue.run(async () => 'second');
    await expect(queue.run(async () => 'third')).rejects.toBeInstanceOf(QueueFullError);
    gate.resolve();
    await first;
    expect(await second).toBe('second');
    await expect(queue.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await queue.run(async () => 'after')).toBe('after');
    expect(queue.active).toBe(0);
  });

  it('refuses nonsense limits', () => {
    expect(() => createBoundedQueue({ concurrency: 0, maxQueued: 1 })).toThrow(RangeError);
    expect(() => createBoundedQueue({ concurrency: 1, maxQueued: -1 })).toThrow(RangeError);
  });
});
