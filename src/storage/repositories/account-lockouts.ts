// The SQL for source_lockouts: locks on one (account, source) pair after repeated wrong
// passwords, and the source each unlock link was mailed for (unlock_tokens.source_id). The
// sign-in read joins the pair's lock in users.ts (findUserForSignIn); links: user-link-tokens.ts.
import type { Queryable } from '../db.js';

export interface SourceLock {
  seconds: number;
  lockCount: number;
}

/**
 * Locks the pair for baseSeconds × 2^(earlier locks of the pair), at most maxSeconds, unless a
 * lock of the pair is already running (concurrent failures lock once). The row is kept for
 * maxSeconds after the lock, so a source that comes back soon meets the longer lock. Returns the
 * new lock, or undefined when the pair was already locked.
 */
export async function lockSource(db: Queryable, userId: string, sourceId: string, baseSeconds: number, maxSeconds: number): Promise<SourceLock | undefined> {
  const result = await db.query<{ seconds: number; lock_count: number }>(
    `INSERT INTO source_lockouts AS l (user_id, source_id, lock_count, locked_until, expires_at)
     VALUES ($1, $2, 1, now() + make_interval(secs => $3), now() + make_interval(secs => $3 + $4))
     ON CONFLICT (user_id, source_id) DO UPDATE SET
       lock_count = l.lock_count + 1,
       locked_until = now() + make_interval(secs => least($4, $3 * power(2, l.lock_count))),
       expires_at = now() + make_interval(secs => least($4, $3 * power(2, l.lock_count)) + $4),
       updated_at = now()
     WHERE l.locked_until IS NULL OR l.locked_until <= now()
     RETURNING ceil(extract(epoch FROM locked_until - now()))::int AS seconds, lock_count`,
    [userId, sourceId, baseSeconds, maxSeconds],
  );
  const row = result.rows[0];
  return row ? { seconds: row.seconds, lockCount: row.lock_count } : undefined;
}

/**
 * Ends the running locks of the account: of one source, or of all when sourceId is undefined
 * (the next lock of a pair still lasts longer). Returns the sources whose lock was running.
 */
export async function unlockSources(db: Queryable, userId: string, sourceId?: string): Promise<string[]> {
  const result = await db.query<{ source_id: string }>(
    `UPDATE source_lockouts SET locked_until = NULL, updated_at = now()
     WHERE user_id = $1 AND ($2::text IS NULL OR source_id = $2) AND locked_until > now()
     RETURNING source_id`,
    [userId, sourceId ?? null],
  );
  return result.rows.map((row) => row.source_id);
}

/** Whether the account was mailed an unlock link in the last withinSeconds that is still unused. */
export async function hasRecentUnlockLink(db: Queryable, userId: string, withinSeconds: number): Promise<boolean> {
  const result = await db.query<{ recent: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM unlock_tokens WHERE user_id = $1 AND consumed_at IS NULL
       AND created_at > now() - make_interval(secs => $2)) AS recent`,
    [userId, withinSeconds],
  );
  return result.rows[0]!.recent;
}

/** Records which source an unlock link (already inserted by insertUserLinkToken) was mailed for. */
export async function setUnlockTokenSource(db: Queryable, tokenHash: string, sourceId: string): Promise<void> {
  await db.query('UPDATE unlock_tokens SET source_id = $2 WHERE token_hash = $1', [tokenHash, sourceId]);
}

/** The source an unlock link was mailed for; undefined for a link of the whole account. */
export async function unlockTokenSource(db: Queryable, tokenHash: string): Promise<string | undefined> {
  const result = await db.query<{ source_id: string | null }>('SELECT source_id FROM unlock_tokens WHERE token_hash = $1', [tokenHash]);
  return result.rows[0]?.source_id ?? undefined;
}

/** The account's running locks: how many sources are locked out, and until when the longest runs. */
export async function findRunningLocks(db: Queryable, userId: string): Promise<{ sources: number; lockedUntil: Date | null }> {
  const result = await db.query<{ sources: number; locked_until: Date | null }>(
    'SELECT count(*)::int AS sources, max(locked_until) AS locked_until FROM source_lockouts WHERE user_id = $1 AND locked_until > now()',
    [userId],
  );
  const row = result.rows[0]!;
  return { sources: row.sources, lockedUntil: row.locked_until };
}
