// A small fixed-window rate limiter over Postgres, enough for resending verification mail. The
// fuller rate-limit system (rate-limiter-flexible on Redis or Postgres) can replace it behind the
// same RateLimiter interface. The decision is pure (decide); storage only counts.
import type { Database } from '../storage/db.js';
import { countHit } from '../storage/repositories/rate-limit-hits.js';

export interface RateLimit {
  /** Hits allowed per window. */
  points: number;
  windowSeconds: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one hit against key and says whether it is within the limit. */
  hit(key: string, limit: RateLimit): Promise<RateLimitDecision>;
}

export function windowStartOf(nowMs: number, windowSeconds: number): number {
  const windowMs = windowSeconds * 1000;
  return Math.floor(nowMs / windowMs) * windowMs;
}

export function decide(count: number, limit: RateLimit, nowMs: number): RateLimitDecision {
  if (count <= limit.points) return { allowed: true };
  const windowEndMs = windowStartOf(nowMs, limit.windowSeconds) + limit.windowSeconds * 1000;
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000)) };
}

export function createFixedWindowLimiter(deps: { database: Database; now?: () => number }): RateLimiter {
  const { database } = deps;
  const now = deps.now ?? Date.now;
  return {
    async hit(key, limit) {
      if (!Number.isInteger(limit.points) || limit.points < 1) throw new RangeError('limit.points must be a positive integer');
      const nowMs = now();
      const windowStartMs = windowStartOf(nowMs, limit.windowSeconds);
      const windowEnd = new Date(windowStartMs + limit.windowSeconds * 1000);
      const count = await countHit(database, `${key}:${limit.windowSeconds}`, new Date(windowStartMs), windowEnd);
      return decide(count, limit, nowMs);
    },
  };
}

export interface AddressAndIpLimits {
  perAddress: RateLimit;
  perIp: RateLimit;
}

export type LimitOutcome = { limited: false } | { limited: true; retryAfterSeconds: number };

/**
 * Counts one request against both the address (hashed: no plain addresses in the table) and the
 * IP. Every request counts, known address or not, so a refusal reveals nothing about accounts.
 */
export async function hitAddressAndIp(
  limiter: RateLimiter, scope: string, address: string, ip: string, limits: AddressAndIpLimits, hashAddress: (value: string) => string,
): Promise<LimitOutcome> {
  const decisions = [
    await limiter.hit(`${scope}:email:${hashAddress(address)}`, limits.perAddress),
    await limiter.hit(`${scope}:ip:${ip}`, limits.perIp),
  ];
  const waits = decisions.flatMap((decision) => (decision.allowed ? [] : [decision.retryAfterSeconds]));
  return waits.length > 0 ? { limited: true, retryAfterSeconds: Math.max(...waits) } : { limited: false };
}
