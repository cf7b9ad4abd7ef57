// The rate limiter the services use: one hit against a key under a rule, answered allowed or
// "wait this long". Counting is atomic and shared by every node (storage/rate-limit-store.ts:
// rate-limiter-flexible on Redis or Postgres); the rules live in the settings.
import type { LimitDecision, LimitRule, RateLimitStore } from '../storage/rate-limit-store.js';
import { hashToken } from '../crypto/tokens.js';

export type RateLimit = LimitRule;

/** Allowed hits say how many are left and when the window starts over. */
export type RateLimitDecision = LimitDecision;

export interface RateLimiter {
  /**
   * Counts one hit against key and says whether it is within the limit; a window this hit starts
   * lasts windowSeconds when given (a wait that grows, on one counter).
   */
  hit(key: string, limit: RateLimit, windowSeconds?: number): Promise<RateLimitDecision>;
  /** Hits counted against key in its current window. */
  used(key: string, limit: RateLimit): Promise<number>;
  /** Forgets key's count (e.g. after a successful sign-in). */
  reset(key: string, limit: RateLimit): Promise<void>;
  /** Gives back one hit counted for a request that turned out not to count (reserve, then refund). */
  refund(key: string, limit: RateLimit): Promise<void>;
}

export function createRateLimiter(store: RateLimitStore): RateLimiter {
  return {
    hit: (key, limit, windowSeconds) => store.consume(limit, key, 1, windowSeconds),
    used: (key, limit) => store.used(limit, key),
    reset: (key, limit) => store.reset(limit, key),
    refund: (key, limit) => store.refund(limit, key),
  };
}

/** How an email address names its counters: trimmed, case-folded and hashed (no plain addresses in the store). */
export function addressCounterId(email: string): string {
  return hashToken(email.trim().toLowerCase());
}

export interface AddressAndIpLimits {
  perAddress: RateLimit;
  perIp: RateLimit;
}

export type LimitOutcome = { limited: false } | { limited: true; retryAfterSeconds: number };

/**
 * Counts one request against both the address (addressCounterId) and the IP. Every request
 * counts, known address or not, so a refusal reveals nothing about accounts.
 */
export async function hitAddressAndIp(
  limiter: RateLimiter, scope: string, address: string, ip: string, limits: AddressAndIpLimits,
): Promise<LimitOutcome> {
  const decisions = [
    await limiter.hit(`${scope}:email:${addressCounterId(address)}`, limits.perAddress),
    await limiter.hit(`${scope}:ip:${ip}`, limits.perIp),
  ];
  const waits = decisions.flatMap((decision) => (decision.allowed ? [] : [decision.retryAfterSeconds]));
  return waits.length > 0 ? { limited: true, retryAfterSeconds: Math.max(...waits) } : { limited: false };
}
