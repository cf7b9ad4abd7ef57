// What stands between a password guesser and the argon2 check: attempts and wrong passwords per
// IP (credential stuffing), a lockout per (account, source), and a throttle per account. Every
// count is taken before the password is checked, atomically, so 50 parallel wrong passwords get
// no more tries than the rule allows. The lock and throttle messages are the same for a right and
// a wrong password, and for an address without an account (its attempts are counted the same
// way), so they reveal neither.
//
// NIST 800-63B §5.2.2 and OWASP's Authentication Cheat Sheet ask for rate limiting that an
// attacker cannot turn into a denial of service against the owner. So a lock holds one pair (account, source)
// only: the source is a browser the account has signed in from before (its device cookie), or
// else the IP. Failures from many sources slow the account down with growing waits, never lock
// it, and a browser the account knows is held up by neither other sources' failures nor its IP.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { Database, Queryable } from '../storage/db.js';
import { hasRecentUnlockLink, lockSource, setUnlockTokenSource, unlockSources, unlockTokenSource } from '../storage/repositories/account-lockouts.js';
import { consumeUserLinkToken, insertUserLinkToken, isUserLinkTokenLive } from '../storage/repositories/user-link-tokens.js';
import { findUserById, findUserForSignIn, type SignInRow } from '../storage/repositories/users.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import { sendNotice, type Mailer } from './email.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';
import { createLoginCounters, throttleWaitSeconds, type AccountThrottle } from './login-counters.js';
import { type RateLimit, type RateLimiter } from './rate-limiter.js';

export interface LoginGuardSettings {
  loginPerIp: RateLimit;
  loginFailuresPerIp: RateLimit;
  lockout: {
    maxFailures: number; windowSeconds: number; lockSeconds: number; maxLockSeconds: number; unlockLinkTtlSeconds: number;
    accountThrottle: AccountThrottle;
  };
}

/** Where an attempt comes from: the request, and the browser's device-cookie id when it sent one. */
export interface AttemptSource extends RequestOrigin {
  deviceId?: string | undefined;
}

export type AttemptVerdict =
  | AllowedAttempt
  | { allowed: false; reason: 'ip-limited' | 'locked' | 'throttled'; retryAfterSeconds: number };

/**
 * What the checks read on the way: the account (for users.authenticateWithPassword, so it is not
 * read again), the pair's wrong passwords before this attempt (for afterSuccess), and the source
 * the attempt was counted against (for afterFailure and afterSuccess).
 */
export interface AllowedAttempt {
  allowed: true;
  account: SignInRow | undefined;
  failuresBefore: number;
  source: CountedSource;
}

export interface CountedSource {
  /** `device:<hash of the device cookie>` for a browser the account knows, else `ip:<address>`. */
  id: string;
  knownDevice: boolean;
  origin: RequestOrigin;
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
  const { lockout } = settings;
  const counters = createLoginCounters(limiter, settings);

  function originOf(source: AttemptSource): RequestOrigin {
    return { ip: source.ip, userAgent: source.userAgent };
  }

  /** Locks the pair (one transaction: the lock, its audit row and its unlock link), then mails the owner. */
  async function lockAndTell(attempt: AllowedAttempt): Promise<void> {
    const { account, source } = attempt;
    if (!account) return;
    const { token, tokenHash } = newLinkToken();
    const lock = await database.transaction(async (tx) => {
      const locked = await lockSource(tx, account.id, source.id, lockout.lockSeconds, lockout.maxLockSeconds);
      if (!locked) return undefined;
      // One unused unlock link per account per lockSeconds: a spray from many IPs must not flood the inbox.
      const mail = !(await hasRecentUnlockLink(tx, account.id, lockout.lockSeconds));
      await audit.record({
        type: 'account.locked', outcome: 'success', accountId: account.id, email: account.email, ...source.origin,
        detail: { lockCount: locked.lockCount, lockedSeconds: locked.seconds, source: source.knownDevice ? 'known-device' : 'ip', noticeSent: mail },
      }, tx);
      if (mail) {
        await insertUserLinkToken(tx, 'unlock_tokens', { userId: account.id, tokenHash, ttlSeconds: lockout.unlockLinkTtlSeconds });
        await setUnlockTokenSource(tx, tokenHash, source.id);
      }
      return { ...locked, mail };
    });
    // Another failure locked the pair a moment ago: that one tells the owner.
    if (!lock?.mail) return;
    await sendNotice(mailer, logger, {
      to: account.email,
      template: 'account-locked',
      data: {
        name: account.name ?? undefined,
        lockedUntil: new Date(Date.now() + lock.seconds * 1000),
        lockedSource: source.knownDevice ? 'a browser you have signed in from before' : `the network address ${source.origin.ip}`,
        unlockLink: `${issuer}${ACCOUNT_PATHS.unlock}?token=${token}`,
        resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}`,
      },
    }, { userId: account.id, what: 'account locked notice' });
  }

  /**
   * Counts one attempt from `source`; call before checking the password, and stop when it is
   * refused. The pair's attempt counter (reset by a success) is what bounds parallel guesses; only
   * wrong passwords lock (afterFailure), so a burst of right ones can be turned away but never
   * locks anyone.
   */
  async function beforeAttempt(email: string, source: AttemptSource): Promise<AttemptVerdict> {
    const address = email.trim();
    const deviceHash = source.deviceId && isWellFormedToken(source.deviceId) ? hashToken(source.deviceId) : undefined;
    const ids = { ipSourceId: `ip:${source.ip}`, deviceHash, deviceSourceId: deviceHash && `device:${deviceHash}` };
    // Independent reads at once (one round trip on every sign-in), judged in order.
    const [account, ipFailures, ipPairFailures, accountFailures] = await Promise.all([
      findUserForSignIn(database, address, ids),
      counters.ipFailures(source.ip),
      counters.pairFailures(address, ids.ipSourceId),
      counters.accountFailures(address),
    ]);
    const knownDevice = account?.from_known_device === true && ids.deviceSourceId !== undefined;
    const sourceId = knownDevice ? ids.deviceSourceId! : ids.ipSourceId;
    if (!knownDevice) {
      const byIp = await counters.hitIpAttempt(source.ip);
      if (!byIp.allowed) return { allowed: false, reason: 'ip-limited', retryAfterSeconds: byIp.retryAfterSeconds };
      if (ipFailures >= settings.loginFailuresPerIp.points) {
        return { allowed: false, reason: 'ip-limited', retryAfterSeconds: settings.loginFailuresPerIp.windowSeconds };
      }
    }
    if (account && account.locked_for_seconds > 0) return { allowed: false, reason: 'locked', retryAfterSeconds: account.locked_for_seconds };
    const failuresBefore = knownDevice ? await counters.pairFailures(address, sourceId) : ipPairFailures;
    // An address without an account "locks" on its failure count alone, with the same answer.
    if (failuresBefore >= lockout.maxFailures) return { allowed: false, reason: 'locked', retryAfterSeconds: lockout.windowSeconds };
    if (!knownDevice && accountFailures >= lockout.accountThrottle.afterFailures) {
      const turn = await counters.takeThrottleTurn(address, throttleWaitSeconds(lockout.accountThrottle, accountFailures));
      if (!turn.allowed) return { allowed: false, reason: 'throttled', retryAfterSeconds: turn.retryAfterSeconds };
    }
    const byPair = await counters.hitPairAttempt(address, sourceId);
    if (!byPair.allowed) return { allowed: false, reason: 'locked', retryAfterSeconds: byPair.retryAfterSeconds };
    return { allowed: true, account, failuresBefore, source: { id: sourceId, knownDevice, origin: originOf(source) } };
  }

  /**
   * A wrong password: counts for the pair (locking it at maxFailures), and but for a known browser,
   * for the IP and the account. Answers how many wrong passwords the pair has left before it is
   * paused; an address without an account is counted the same way, so the number reveals nothing.
   */
  async function afterFailure(email: string, attempt: AllowedAttempt): Promise<number> {
    const address = email.trim();
    const { source } = attempt;
    const [byPair] = await Promise.all([
      counters.hitPairFailure(address, source.id),
      source.knownDevice ? undefined : counters.hitIpFailure(source.origin.ip),
      source.knownDevice ? undefined : counters.hitAccountFailure(address),
    ]);
    // The hit's own answer says whether this failure reached maxFailures (none left, or over).
    if (!byPair.allowed || byPair.remaining === 0) {
      await lockAndTell(attempt);
      return 0;
    }
    return byPair.remaining;
  }

  /**
   * The right password: the pair's earlier attempts and wrong ones stop counting. A failure count
   * that was empty when the attempt began is not reset again (one write fewer per sign-in). The
   * account's throttle is left to run out: the other sources' failures still happened.
   */
  async function afterSuccess(email: string, attempt: AllowedAttempt): Promise<void> {
    await counters.resetPair(email.trim(), attempt.source.id, { failures: attempt.failuresBefore !== 0 });
  }

  /** Ends running locks of the account (one source, or all) through `tx` and records it; the sources that were locked. */
  async function endLocks(tx: Queryable, userId: string, email: string, origin: Partial<RequestOrigin>, by: string, sourceId?: string): Promise<string[]> {
    const ended = await unlockSources(tx, userId, sourceId);
    await audit.record({ type: 'account.unlocked', outcome: 'success', accountId: userId, email, ...origin, detail: { by, wasLocked: ended.length > 0 } }, tx);
    return ended;
  }

  /** Ends every lock of the account and its counts, and the account's throttle (an admin: `by` is admin-cli or admin:<id>). */
  async function unlock(userId: string, email: string, origin: Partial<RequestOrigin>, by: string): Promise<boolean> {
    const ended = await database.transaction((tx) => endLocks(tx, userId, email, origin, by));
    for (const sourceId of ended) await counters.resetPair(email, sourceId, { failures: true });
    await counters.resetAccount(email);
    return ended.length > 0;
  }

  async function isUnlockLinkUsable(token: string): Promise<boolean> {
    return isWellFormedToken(token) && isUserLinkTokenLive(database, 'unlock_tokens', hashToken(token));
  }

  /** Spends an unlock link: ends the lock of the pair it was mailed for; false for an unknown, used or expired one. */
  async function unlockWithLink(token: string, origin: RequestOrigin): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    const tokenHash = hashToken(token);
    // The link is spent in the same transaction that ends the lock: never one without the other.
    const outcome = await database.transaction(async (tx) => {
      const userId = await consumeUserLinkToken(tx, 'unlock_tokens', tokenHash);
      if (!userId) return undefined;
      const sourceId = await unlockTokenSource(tx, tokenHash);
      const user = await findUserById(tx, userId);
      const ended = user ? await endLocks(tx, userId, user.email, origin, 'link', sourceId) : [];
      return { email: user?.email, sources: sourceId ? [sourceId] : ended };
    });
    if (!outcome) return false;
    if (outcome.email) for (const sourceId of outcome.sources) await counters.resetPair(outcome.email, sourceId, { failures: true });
    return true;
  }

  return { beforeAttempt, afterFailure, afterSuccess, unlock, isUnlockLinkUsable, unlockWithLink };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;
