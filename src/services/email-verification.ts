// Email verification: single-use links whose token is stored only as a SHA-256 hash,
// a resend limited per address and per IP, and the same answer for every address on resend.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Database } from '../storage/db.js';
import { consumeEmailVerificationToken, insertEmailVerificationToken, isEmailVerificationTokenLive } from '../storage/repositories/email-verification-tokens.js';
import { findUserByEmail, findUserById, markEmailVerified } from '../storage/repositories/users.js';
import type { AccountMailJob, AccountMailQueue } from './account-mail.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { Mailer } from './email.js';
import { hitAddressAndIp, type AddressAndIpLimits, type LimitOutcome, type RateLimiter } from './rate-limiter.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';
import { emailSchema } from './users.js';


export interface EmailVerificationSettings {
  tokenTtlSeconds: number;
  resendLimits: AddressAndIpLimits;
}

export interface VerificationRecipient {
  id: string;
  email: string;
  name: string | null;
  /** The language of the person's mails (users.locale). */
  locale: string | null;
}

export type ResendOutcome = LimitOutcome;

export interface VerifiedEmail {
  email: string;
  /** The app the person was signing in to when the link was asked for, if any. */
  clientId: string | null;
}

export function createEmailVerificationService(deps: {
  database: Database;
  mailer: Mailer;
  mailQueue: AccountMailQueue;
  audit: AuditLog;
  limiter: RateLimiter;
  issuer: string;
  settings: EmailVerificationSettings;
}) {
  const { database, mailer, mailQueue, audit, limiter, issuer, settings } = deps;
  const expiresInHours = Math.max(1, Math.round(settings.tokenTtlSeconds / 3600));

  /** Stores a new token and mails its link; throws MailDeliveryError (the token row stays, unused). */
  async function sendVerification(user: VerificationRecipient, clientId: string | null): Promise<void> {
    const { token, tokenHash } = newLinkToken();
    await insertEmailVerificationToken(database, { userId: user.id, email: user.email, tokenHash, ttlSeconds: settings.tokenTtlSeconds, clientId });
    const link = `${issuer}${ACCOUNT_PATHS.verifyEmail}?token=${token}`;
    await mailer.send({ to: user.email, template: 'verify-email', data: { name: user.name ?? undefined, link, expiresInHours }, locale: user.locale });
  }

  /** Whether a link could still be used, without spending it: a used or expired one shows no button. */
  async function isUsable(token: string): Promise<boolean> {
    return isWellFormedToken(token) && isEmailVerificationTokenLive(database, hashToken(token));
  }

  /**
   * Uses a token once and marks its account's email verified: the confirmed address and the app
   * the link was asked from, or false for an unknown, used or expired token.
   */
  async function verify(token: string, origin: RequestOrigin): Promise<VerifiedEmail | false> {
    if (!isWellFormedToken(token)) return false;
    return database.transaction(async (tx) => {
      const consumed = await consumeEmailVerificationToken(tx, hashToken(token));
      if (!consumed) return false;
      const { userId, clientId } = consumed;
      await markEmailVerified(tx, userId);
      const user = await findUserById(tx, userId);
      await audit.record({ type: 'email.verified', outcome: 'success', accountId: userId, email: user?.email, ...origin }, tx);
      return { email: user?.email ?? '', clientId };
    });
  }

  /**
   * Queues a fresh link for the address. Limits count every request, known address or not, so
   * the 429 does not reveal which addresses exist; past them every address is queued alike, and
   * sendQueuedVerification decides after the answer has left.
   */
  async function resend(email: string, origin: RequestOrigin, clientId?: string): Promise<ResendOutcome> {
    const address = email.trim().toLowerCase();
    const limit = await hitAddressAndIp(limiter, 'verify-resend', address, origin.ip, settings.resendLimits);
    if (limit.limited) return limit;
    await mailQueue.enqueue('verification', address, origin, { clientId });
    return { limited: false };
  }

  /** The queued half of resend() and of registration: a link when the address's account is active and unverified. */
  async function sendQueuedVerification(job: AccountMailJob): Promise<void> {
    const parsed = emailSchema.safeParse(job.email);
    const row = parsed.success ? await findUserByEmail(database, parsed.data) : undefined;
    if (row && !row.email_verified && row.status === 'active') await sendVerification(row, job.clientId ?? null);
  }

  return { sendQueuedVerification, isUsable, verify, resend };
}

export type EmailVerificationService = ReturnType<typeof createEmailVerificationService>;
