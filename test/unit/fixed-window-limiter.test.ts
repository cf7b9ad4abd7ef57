import { describe, expect, it } from 'vitest';
import { createFixedWindowLimiter, decide, windowStartOf } from '../../src/services/fixed-window-limiter.js';
import type { Database } from '../../src/storage/db.js';

const HOUR = { points: 3, windowSeconds: 3600 };
const T = Date.UTC(2026, 0, 1, 10, 15, 30);

describe('fixed-window rate limit decisions', () => {
  it('aligns windows to multiples of their length', () => {
    expect(windowStartOf(T, 3600)).toBe(Date.UTC(2026, 0, 1, 10, 0, 0));
    expect(windowStartOf(T, 60)).toBe(Date.UTC(2026, 0, 1, 10, 15, 0));
  });

  it('allows up to points hits and then says how long until the window ends', () => {
    expect(decide(1, HOUR, T)).toEqual({ allowed: true });
    expect(decide(3, HOUR, T)).toEqual({ allowed: true });
    expect(decide(4, HOUR, T)).toEqual({ allowed: false, retryAfterSeconds: 44 * 60 + 30 });
  });

  it('never asks to wait less than a second', () => {
    expect(decide(4, HOUR, Date.UTC(2026, 0, 1, 10, 59, 59, 999))).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('counts per key and window through storage, and refuses a non-positive limit', async () => {
    const calls: unknown[][] = [];
    const database = { query: async (_sql: string, params: readonly unknown[]) => { calls.push([...params]); return { rows: [{ count: 4 }], rowCount: 1 }; } };
    const limiter = createFixedWindowLimiter({ database: database as unknown as Database, now: () => T });
    expect(await limiter.hit('resend:ip:127.0.0.1', HOUR)).toEqual({ allowed: false, retryAfterSeconds: 2670 });
    expect(calls[0]).toEqual(['resend:ip:127.0.0.1:3600', new Date(Date.UTC(2026, 0, 1, 10)), new Date(Date.UTC(2026, 0, 1, 11))]);
    await expect(limiter.hit('k', { points: 0, windowSeconds: 60 })).rejects.toThrow(RangeError);
  });
});
