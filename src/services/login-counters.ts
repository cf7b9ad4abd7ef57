// The counters behind the login guard (login-guard.ts), named in one place: per IP, per pair
// (address, source) and per address. Addresses are hashed (addressCounterId), so no plain address
// is kept in the store; every counter exists for an address without an account too.
import { addressCounterId, type RateLimit, type RateLimitDecision, type RateLimiter } from './rate-limiter.js';

export interface AccountThrottle {
  afterFailures: number;
  windowSeconds: number;
  delaySeconds: number;
  maxDelaySeconds: number;
}

/** The wait after accountFailures failures: delaySeconds, doubled per failure past afterFailures, at most maxDelaySeconds. */
export function throttleWaitSeconds(throttle: AccountThrottle, accountFailures: number): number {
  const doublings = Math.min(30, Math.max(0, accountFailures - throttle.afterFailures));
  return Math.min(throttle.maxDelaySeconds, throttle.delaySeconds * 2 ** doublings);
}

export function createLoginCounters(limiter: RateLimiter, settings: {
  loginPerIp: RateLimit;
  loginFailuresPerIp: RateLimit;
  lockout: { maxFailures: number; windowSeconds: number; accountThrottle: AccountThrottle };
}) {
  const { loginPerIp, loginFailuresPerIp, lockout } = settings;
  const perPair: RateLimit = { points: lockout.maxFailures, windowSeconds: lockout.windowSeconds };
  // Counting goes on past `points`: the throttle reads the total.
  const perAccount: RateLimit = { points: lockout.accountThrottle.afterFailures, windowSeconds: lockout.accountThrottle.windowSeconds };
  // One turn per wait; each turn's window is the wait of that moment (RateLimiter.hit's windowSeconds).
  const throttleTurn: RateLimit = { points: 1, windowSeconds: lockout.accountThrottle.maxDelaySeconds };

  const pair = (email: string, sourceId: string) => `${addressCounterId(email)}:${sourceId}`;
  const keys = {
    ipAttempts: (ip: string) => `login:ip:${ip}`,
    ipFailures: (ip: string) => `login-failures:ip:${ip}`,
    pairAttempts: (email: string, sourceId: string) => `login-attempts:pair:${pair(email, sourceId)}`,
    pairFailures: (email: string, sourceId: string) => `login-failures:pair:${pair(email, sourceId)}`,
    accountFailures: (email: string) => `login-failures:address:${addressCounterId(email)}`,
    throttleTurn: (email: string) => `login-throttle:address:${addressCounterId(email)}`,
  };

  return {
    ipFailures: (ip: string): Promise<number> => limiter.used(keys.ipFailures(ip), loginFailuresPerIp),
    pairFailures: (email: string, sourceId: string): Promise<number> => limiter.used(keys.pairFailures(email, sourceId), perPair),
    accountFailures: (email: string): Promise<number> => limiter.used(keys.accountFailures(email), perAccount),
    hitIpAttempt: (ip: string): Promise<RateLimitDecision> => limiter.hit(keys.ipAttempts(ip), loginPerIp),
    hitPairAttempt: (email: string, sourceId: string): Promise<RateLimitDecision> => limiter.hit(keys.pairAttempts(email, sourceId), perPair),
    hitIpFailure: (ip: string): Promise<RateLimitDecision> => limiter.hit(keys.ipFailures(ip), loginFailuresPerIp),
    hitPairFailure: (email: string, sourceId: string): Promise<RateLimitDecision> => limiter.hit(keys.pairFailures(email, sourceId), perPair),
    hitAccountFailure: (email: string): Promise<RateLimitDecision> => limiter.hit(keys.accountFailures(email), perAccount),
    /** One attempt per wait, shared by every source the throttle holds: the first to ask gets it. */
    takeThrottleTurn: (email: string, waitSeconds: number): Promise<RateLimitDecision> => limiter.hit(keys.throttleTurn(email), throttleTurn, waitSeconds),
    async resetPair(email: string, sourceId: string, options: { failures: boolean }): Promise<void> {
      await limiter.reset(keys.pairAttempts(email, sourceId), perPair);
      if (options.failures) await limiter.reset(keys.pairFailures(email, sourceId), perPair);
    },
    async resetAccount(email: string): Promise<void> {
      await limiter.reset(keys.accountFailures(email), perAccount);
      await limiter.reset(keys.throttleTurn(email), throttleTurn);
    },
  };
}
