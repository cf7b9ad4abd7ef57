// What stands between a password guesser and the argon2 check (issue 6 items 1–2): attempts per
// IP, wrong passwords per IP across accounts (credential stuffing), and per-account lockout with
// a growing delay and an unlock link for the owner. Every count is taken before the password is
// checked, atomically, so 50 parallel wrong passwords get no more tries than the rule allows.
// The lock message is the same for a right and a wrong password, and for an address without an
// account (its attempts are counted the same way), so it reveals neither.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { Database, Queryable } from '../storage/db.js';
import { lockAccount, unlockAccount } from '../storage/repositories/account-lockouts.js';
import { consumeUserLinkToken, insertUserLinkToken, isUserLinkTokenLive } from '../storage/repositories/user-link-tokens.js';
import { findUserById, findUserForSignIn, type SignInRow } from '../storage/repositories/users.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import { sendNotice, type Mailer } from './email.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';
import { addressCounterId, type RateLimit, type RateLimiter } from './rate-limiter.js';


export interface LoginGuardSettings {
  loginPerIp: RateLimit;
  loginFailuresPerIp: RateLimit;
  lockout: { maxFailures: number; windowSeconds: number; lockSeconds: number; maxLockSeconds: number; unlockLinkTtlSeconds: number };
}

export type AttemptVerdict =
  | AllowedAttempt
  | { allowed: false; reason: 'ip-limited' | 'locked'; retryAfterSeconds: number };

/**
 * What the checks read on the way: the account (for users.authenticateWithPassword, so it is not
 * read again) and the address's wrong passwords before this attempt (for afterSuccess).
 */
export interface AllowedAttempt {
  allowed: true;
  account: SignInRow | undefined;
  failuresBefore: number;
}

export function createLoginGuard(deps: {
  database: Database;
  limiter: RateLimiter;
  mailer: Mailer;
  audit: AuditLog;
  logger: Logger;
  issuer: string;
  settings: LoginGuardSettings;
}) {
  const { database, limiter, mailer, audit, logger, issuer, settings } = deps;
  const perAddress: RateLimit = { points: settings.lockout.maxFailures, windowSeconds: settings.lockout.windowSeconds };
  const attemptKey = (email: string) => `login-attempts:address:${addressCounterId(email)}`;
  const failureKey = (email: string) => `login-failures:address:${addressCounterId(email)}`;
  const ipFailureKey = (ip: string) => `login-failures:ip:${ip}`;

  /** Locks the account of the address (one transaction: the lock, its audit row and its unlock link), then mails the owner. */
  async function lockAndTell(email: string, origin: RequestOrigin): Promise<number | undefined> {
    const account = await findUserForSignIn(database, email);
    if (!account) return undefined;
    if (account.locked_for_seconds > 0) return account.locked_for_seconds;
    const { token, tokenHash } = newLinkToken();
    const lock = await database.transaction(async (tx) => {
      const locked = await lockAccount(tx, account.id, settings.lockout.lockSeconds, settings.lockout.maxLockSeconds);
      if (!locked) return undefined;
      await audit.record({
        type: 'account.locked', outcome: 'success', accountId: account.id, email: account.email, ...origin,
        detail: { lockCount: locked.lockCount, lockedSeconds: locked.seconds },
      }, tx);
      await insertUserLinkToken(tx, 'unlock_tokens', { userId: account.id, tokenHash, ttlSeconds: settings.lockout.unlockLinkTtlSeconds });
      return locked;
    });
    // Another failure locked it a moment ago: that one tells the owner.
    if (!lock) return (await findUserForSignIn(database, email))?.locked_for_seconds;
    await sendNotice(mailer, logger, {
      to: account.email,
      template: 'account-locked',
      data: {
        name: account.name ?? undefined,
        lockedUntil: new Date(Date.now() + lock.seconds * 1000),
        unlockLink: `${issuer}${ACCOUNT_PATHS.unlock}?token=${token}`,
        resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}`,
      },
    }, { userId: account.id, what: 'account locked notice' });
    return lock.seconds;
  }

  /**
   * Counts one attempt; call before checking the password, and stop when it is refused. The
   * attempt counter (reset by a success) is what bounds parallel guesses; only wrong passwords
   * lock (afterFailure), so a burst of right ones can be turned away but never locks anyone.
   */
  async function beforeAttempt(email: string, origin: RequestOrigin): Promise<AttemptVerdict> {
    const byIp = await limiter.hit(`login:ip:${origin.ip}`, settings.loginPerIp);
    if (!byIp.allowed) return { allowed: false, reason: 'ip-limited', retryAfterSeconds: byIp.retryAfterSeconds };
    // Three independent reads at once (one round trip instead of three on every sign-in), judged in order.
    const [ipFailures, account, failuresBefore] = await Promise.all([
      limiter.used(ipFailureKey(origin.ip), settings.loginFailuresPerIp),
      findUserForSignIn(database, email.trim()),
      limiter.used(failureKey(email), perAddress),
    ]);
    if (ipFailures >= settings.loginFailuresPerIp.points) {
      return { allowed: false, reason: 'ip-limited', retryAfterSeconds: settings.loginFailuresPerIp.windowSeconds };
    }
    if (account && account.locked_for_seconds > 0) return { allowed: false, reason: 'locked', retryAfterSeconds: account.locked_for_seconds };
    // An address without an account "locks" on its failure count alone, with the same answer.
    if (failuresBefore >= perAddress.points) {
      return { allowed: false, reason: 'locked', retryAfterSeconds: settings.lockout.windowSeconds };
    }
    const byAddress = await limiter.hit(attemptKey(email), perAddress);
    if (byAddress.allowed) return { allowed: true, account, failuresBefore };
    return { allowed: false, reason: 'locked', retryAfterSeconds: byAddress.retryAfterSeconds };
  }

  /** A wrong password: counts for the address (locking at maxFailures) and for the IP across accounts. */
  async function afterFailure(email: string, origin: RequestOrigin): Promise<void> {
    await limiter.hit(ipFailureKey(origin.ip), settings.loginFailuresPerIp);
    // The hit's own answer says whether this failure reached maxFailures (none left, or over).
    const byAddress = await limiter.hit(failureKey(email), perAddress);
    if (!byAddress.allowed || byAddress.remaining === 0) await lockAndTell(email.trim(), origin);
  }

  /**
   * The right password: earlier attempts and wrong ones for the address stop counting. Given the
   * attempt's verdict, a failure count that was empty when the attempt began is not reset again
   * (one write fewer per sign-in; a wrong password racing this one then stays counted).
   */
  async function afterSuccess(email: string, attempt?: AllowedAttempt): Promise<void> {
    await limiter.reset(attemptKey(email), perAddress);
    if (attempt?.failuresBefore !== 0) await limiter.reset(failureKey(email), perAddress);
  }

  /** Ends a running lock through `tx` and records it; whether one was running. */
  async function endLock(tx: Queryable, userId: string, email: string, origin: Partial<RequestOrigin>, by: 'link' | 'admin-cli'): Promise<boolean> {
    const wasLocked = await unlockAccount(tx, userId);
    await audit.record({ type: 'account.unlocked', outcome: 'success', accountId: userId, email, ...origin, detail: { by, wasLocked } }, tx);
    return wasLocked;
  }

  /** Ends a lock and its count (an admin). */
  async function unlock(userId: string, email: string, origin: Partial<RequestOrigin>, by: 'link' | 'admin-cli'): Promise<boolean> {
    const wasLocked = await database.transaction((tx) => endLock(tx, userId, email, origin, by));
    await afterSuccess(email);
    return wasLocked;
  }

  async function isUnlockLinkUsable(token: string): Promise<boolean> {
    return isWellFormedToken(token) && isUserLinkTokenLive(database, 'unlock_tokens', hashToken(token));
  }

  /** Spends an unlock link; false for an unknown, used or expired one. */
  async function unlockWithLink(token: string, origin: RequestOrigin): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    // The link is spent in the same transaction that ends the lock: never one without the other.
    const outcome = await database.transaction(async (tx) => {
      const userId = await consumeUserLinkToken(tx, 'unlock_tokens', hashToken(token));
      if (!userId) return undefined;
      const user = await findUserById(tx, userId);
      if (user) await endLock(tx, userId, user.email, origin, 'link');
      return { email: user?.email };
    });
    if (!outcome) return false;
    if (outcome.email) await afterSuccess(outcome.email);
    return true;
  }

  return { beforeAttempt, afterFailure, afterSuccess, unlock, isUnlockLinkUsable, unlockWithLink };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;
