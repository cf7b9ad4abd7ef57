// The only SQL for rate_limit_hits: fixed-window counters.
import type { Queryable } from '../db.js';

/** Counts one hit for key in the window starting at windowStart and returns the window's total. */
export async function countHit(db: Queryable, key: string, windowStart: Date): Promise<number> {
  const result = await db.query<{ count: number }>(
    `INSERT INTO rate_limit_hits (key, window_start, count) VALUES ($1, $2, 1)
     ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_hits.count + 1
     RETURNING count`,
    [key, windowStart],
  );
  return result.rows[0]!.count;
}
