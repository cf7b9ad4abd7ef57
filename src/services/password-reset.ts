// Password reset: the same answer for every address, single-use links whose token is
// stored only as a SHA-256 hash, and a reset that ends every session and grant of the account.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/db.js';
import {
  consumeAllUserLinkTokens, consumeUserLinkToken, findLiveUserLinkTokenUser, insertPasswordResetToken, isUserLinkTokenLive, passwordResetTokenClient,
} from '../storage/repositories/user-link-tokens.js';
import { revokeTrustedDevices } from '../storage/repositories/trusted-devices.js';
import { findUserByEmail, findUserById, markEmailVerified, updatePasswordHash } from '../storage/repositories/users.js';
import type { AccountMailJob, AccountMailQueue } from './account-mail.js';
import type { RevokeAccountTokens } from './account-revocation.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { Mailer } from './email.js';
import { hitAddressAndIp, type AddressAndIpLimits, type LimitOutcome, type RateLimiter } from './rate-limiter.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';
import { notifyPasswordChanged } from './password-change.js';
import { WeakPasswordError, type PasswordPolicy } from './password-policy.js';
import type { PasswordService } from './passwords.js';
import { emailSchema } from './users.js';


export interface PasswordResetSettings {
  tokenTtlSeconds: number;
  requestLimits: AddressAndIpLimits;
}

export type ResetRequestOutcome = LimitOutcome;

export interface PasswordResetDone {
  email: string;
  /** The app the person was signing in to when they asked for the link, if any. */
  clientId: string | null;
}


export function createPasswordResetService(deps: {
  database: Database;
  mailer: Mailer;
  mailQueue: AccountMailQueue;
  limiter: RateLimiter;
  passwords: PasswordService;
  passwordPolicy: PasswordPolicy;
  revokeAccountTokens: RevokeAccountTokens;
  audit: AuditLog;
  logger: Logger;
  issuer: string;
  settings: PasswordResetSettings;
}) {
  const { database, mailer, mailQueue, limiter, passwords, passwordPolicy, revokeAccountTokens, audit, logger, issuer, settings } = deps;
  const expiresInMinutes = Math.max(1, Math.round(settings.tokenTtlSeconds / 60));

  /**
   * Queues a reset mail; the outcome is the same for every address. Limits count every request,
   * known address or not, so the 429 does not reveal which addresses exist; past them, the
   * address is queued whatever it is, and sendRequestedMail decides after the answer has left,
   * so neither the answer nor its timing tells whether the address has an account.
   */
  async function request(email: string, origin: RequestOrigin, clientId?: string): Promise<ResetRequestOutcome> {
    const address = email.trim().toLowerCase();
    const limit = await hitAddressAndIp(limiter, 'password-reset', address, origin.ip, settings.requestLimits);
    if (limit.limited) {
      await audit.record({ type: 'password.reset_requested', email: address, ...origin, outcome: 'failure', detail: { reason: 'rate_limited' } });
      return limit;
    }
    await mailQueue.enqueue('password_reset', address, origin, { clientId });
    return { limited: false };
  }

  /**
   * The queued half of request(): mails a reset link when the address belongs to an active
   * account. The token is minted here, so the queue never holds a usable link, and a retry mints
   * a fresh one (an unsent token is never seen and simply expires). Throws MailDeliveryError to
   * be retried; the audit event is written on the first attempt only.
   */
  async function sendRequestedMail(job: AccountMailJob): Promise<void> {
    const requested = { type: 'password.reset_requested', email: job.email, ip: job.ip, userAgent: job.userAgent } as const;
    const parsed = emailSchema.safeParse(job.email);
    const row = parsed.success ? await findUserByEmail(database, parsed.data) : undefined;
    const firstAttempt = job.attempts === 0;
    if (!row || row.status !== 'active') {
      if (firstAttempt) await audit.record({ ...requested, outcome: 'failure', accountId: row?.id, detail: { reason: row ? 'account_not_active' : 'unknown_address' } });
      return;
    }
    if (firstAttempt) await audit.record({ ...requested, outcome: 'success', accountId: row.id });
    const { token, tokenHash } = newLinkToken();
    // Only the newest link works: an older one left in a mailbox or a forwarded mail cannot be
    // used once a new one is sent (OWASP Forgot Password Cheat Sheet: single-use, invalidated tokens).
    await database.transaction(async (tx) => {
      await consumeAllUserLinkTokens(tx, 'password_reset_tokens', row.id);
      await insertPasswordResetToken(tx, { userId: row.id, tokenHash, ttlSeconds: settings.tokenTtlSeconds, clientId: job.clientId ?? null });
    });
    const link = `${issuer}${ACCOUNT_PATHS.resetPassword}?token=${token}`;
    await mailer.send({ to: row.email, template: 'password-reset', data: { name: row.name ?? undefined, link, expiresInMinutes }, locale: row.locale });
  }

  /** Whether a token can still be used, without spending it (for showing the form). */
  async function isUsable(token: string): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    return isUserLinkTokenLive(database, 'password_reset_tokens', hashToken(token));
  }

  /**
   * Sets a new password with a live token. False for an unknown, used or expired token; throws
   * WeakPasswordError (token kept) when the policy refuses the password. On success every
   * session and token of the account ends, every remembered device must give a code again, and
   * the owner is told by mail. Returns the account's address and the app the link was asked from.
   */
  async function reset(token: string, newPassword: string, origin: RequestOrigin): Promise<PasswordResetDone | false> {
    if (!isWellFormedToken(token)) return false;
    const tokenHash = hashToken(token);
    const userId = await findLiveUserLinkTokenUser(database, 'password_reset_tokens', tokenHash);
    const user = userId ? await findUserById(database, userId) : undefined;
    if (!user) return false;
    const problem = passwordPolicy.check(newPassword, { email: user.email, name: user.name });
    if (problem) throw new WeakPasswordError(problem);
    const passwordHash = await passwords.hash(newPassword);
    const spent = await database.transaction(async (tx) => {
      const owner = await consumeUserLinkToken(tx, 'password_reset_tokens', tokenHash);
      if (owner !== user.id) return false;
      await updatePasswordHash(tx, user.id, passwordHash);
      // Following the link proved control of the mailbox.
      await markEmailVerified(tx, user.id);
      await consumeAllUserLinkTokens(tx, 'password_reset_tokens', user.id);
      // Whoever had the old password may have remembered a device with it.
      const devices = await revokeTrustedDevices(tx, user.id);
      if (devices > 0) {
        await audit.record({ type: 'trusted_device.revoked', outcome: 'success', accountId: user.id, email: user.email, ...origin, detail: { count: devices, during: 'password_reset' } }, tx);
      }
      await audit.record({ type: 'password.reset', outcome: 'success', accountId: user.id, email: user.email, ...origin }, tx);
      return true;
    });
    if (!spent) return false;
    await revokeAccountTokens(user.id, { reason: 'password-reset' });
    await notifyPasswordChanged(mailer, logger, issuer, user);
    return { email: user.email, clientId: await passwordResetTokenClient(database, tokenHash) };
  }

  return { request, sendRequestedMail, isUsable, reset };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
