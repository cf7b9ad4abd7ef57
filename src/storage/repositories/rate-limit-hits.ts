// The only SQL for rate_limit_hits: fixed-window counters.
import type { Queryable } from '../db.js';

/** Counts one hit for key in the window [windowStart, windowEnd) and returns the window's total. */
export async function countHit(db: Queryable, key: string, windowStart: Date, windowEnd: Date): Promise<number> {
  const result = await db.query<{ count: number }>(
    `INSERT INTO rate_limit_hits (key, window_start, count, expires_at) VALUES ($1, $2, 1, $3)
     ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_hits.count + 1
     RETURNING count`,
    [key, windowStart, windowEnd],
  );
  return result.rows[0]!.count;
}

/** Deletes up to limit counters whose window has ended; the number deleted. */
export async function deleteEndedHits(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM rate_limit_hits WHERE (key, window_start) IN (
       SELECT key, window_start FROM rate_limit_hits WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}
