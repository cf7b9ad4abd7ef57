// The SQL that writes account_lockouts (the sign-in read joins it in users.ts, findUserForSignIn; unlock links: user-link-tokens.ts).
import type { Queryable } from '../db.js';

/**
 * Locks the account for baseSeconds × 2^(earlier locks), at most maxSeconds, unless a lock is
 * already running (concurrent failures lock once). Returns the new lock's length and its
 * count, or undefined when it was already locked.
 */
export async function lockAccount(db: Queryable, userId: string, baseSeconds: number, maxSeconds: number): Promise<{ seconds: number; lockCount: number } | undefined> {
  const result = await db.query<{ seconds: number; lock_count: number }>(
    `INSERT INTO account_lockouts AS l (user_id, lock_count, locked_until, updated_at)
     VALUES ($1, 1, now() + make_interval(secs => $2), now())
     ON CONFLICT (user_id) DO UPDATE SET
       lock_count = l.lock_count + 1,
       locked_until = now() + make_interval(secs => least($3, $2 * power(2, l.lock_count))),
       updated_at = now()
     WHERE l.locked_until IS NULL OR l.locked_until <= now()
     RETURNING ceil(extract(epoch FROM locked_until - now()))::int AS seconds, lock_count`,
    [userId, baseSeconds, maxSeconds],
  );
  const row = result.rows[0];
  return row ? { seconds: row.seconds, lockCount: row.lock_count } : undefined;
}

/** Ends a running lock (the delay of the next one still grows); whether one was running. */
export async function unlockAccount(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query(
    'UPDATE account_lockouts SET locked_until = NULL, updated_at = now() WHERE user_id = $1 AND locked_until > now()',
    [userId],
  );
  return result.rowCount > 0;
}
