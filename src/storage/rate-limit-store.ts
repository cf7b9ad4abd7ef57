// Counters for rate limits, shared by every node: rate-limiter-flexible on Redis when it is
// configured (DESIGN §4: short-lived and hot), on Postgres otherwise (the rate_limits table of
// migration 008, whose upsert is one atomic statement). Both count atomically, so parallel
// requests can never get more tries than a rule allows.
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database, Queryable } from './db.js';
import type { RedisClient } from './redis.js';

export interface LimitRule {
  points: number;
  windowSeconds: number;
}

export type LimitDecision =
  | { allowed: true; remaining: number; resetAfterSeconds: number }
  | { allowed: false; retryAfterSeconds: number };

export interface RateLimitStore {
  /**
   * Counts `points` against key under rule, atomically, and says whether it is within the rule.
   * A window that starts with this hit lasts windowSeconds when given, instead of the rule's.
   */
  consume(rule: LimitRule, key: string, points?: number, windowSeconds?: number): Promise<LimitDecision>;
  /** How many points key has used in its current window (0 when none). */
  used(rule: LimitRule, key: string): Promise<number>;
  /** Forgets key's count under rule (e.g. after a successful sign-in). */
  reset(rule: LimitRule, key: string): Promise<void>;
  /** Gives back `points` consumed for something that did not happen after all. */
  refund(rule: LimitRule, key: string, points?: number): Promise<void>;
}

export const RATE_LIMIT_TABLE = 'rate_limits';

/** rate-limiter-flexible's Postgres client calls conn.query({ text, values }); ours takes (text, values). */
function asPgPool(database: Database) {
  return { query: (query: { text: string; values?: unknown[] }) => database.query(query.text, query.values ?? []) };
}

export function createRateLimitStore(deps: { database: Database; redis?: RedisClient | undefined; redisKeyPrefix: string }): RateLimitStore {
  const { database, redis, redisKeyPrefix } = deps;
  const limiters = new Map<string, RateLimiterAbstract>();

  // One limiter per rule shape; the shape is its key prefix, so rules never share counts.
  function limiterFor(rule: LimitRule): RateLimiterAbstract {
    if (!Number.isInteger(rule.points) || rule.points < 1) throw new RangeError('rule.points must be a positive integer');
    if (!Number.isInteger(rule.windowSeconds) || rule.windowSeconds < 1) throw new RangeError('rule.windowSeconds must be a positive integer');
    const name = `rl${rule.points}per${rule.windowSeconds}`;
    let limiter = limiters.get(name);
    if (!limiter) {
      const common = { keyPrefix: name, points: rule.points, duration: rule.windowSeconds };
      limiter = redis
        ? new RateLimiterRedis({ ...common, storeClient: redis, keyPrefix: `${redisKeyPrefix}${name}`, rejectIfRedisNotReady: true })
        // The table comes from a migration and the sweeper empties it: no DDL or timers here.
        : new RateLimiterPostgres({
          ...common, storeClient: asPgPool(database), storeType: 'pool', tableName: RATE_LIMIT_TABLE, tableCreated: true, clearExpiredByTimeout: false,
        });
      limiters.set(name, limiter);
    }
    return limiter;
  }

  return {
    async consume(rule, key, points = 1, windowSeconds = undefined) {
      if (windowSeconds !== undefined && (!Number.isInteger(windowSeconds) || windowSeconds < 1)) throw new RangeError('windowSeconds must be a positive integer');
      try {
        const result = await limiterFor(rule).consume(key, points, windowSeconds === undefined ? {} : { customDuration: windowSeconds });
        return { allowed: true, remaining: result.remainingPoints, resetAfterSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)) };
      } catch (rejection) {
        // Over the rule: the library rejects with the counter's state; anything else is a store fault.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
    },
    async used(rule, key) {
      const result = await limiterFor(rule).get(key);
      return result?.consumedPoints ?? 0;
    },
    async reset(rule, key) {
      await limiterFor(rule).delete(key);
    },
    async refund(rule, key, points = 1) {
      await limiterFor(rule).reward(key, points);
    },
  };
}

/** Deletes up to limit expired counters (Postgres store only); the number deleted. */
export async function deleteExpiredRateLimits(database: Queryable, limit: number): Promise<number> {
  const result = await database.query(
    `DELETE FROM ${RATE_LIMIT_TABLE} WHERE key IN (SELECT key FROM ${RATE_LIMIT_TABLE} WHERE expire < $1 LIMIT $2)`,
    [Date.now(), limit],
  );
  return result.rowCount;
}
