// Email verification (issue 4): single-use links whose token is stored only as a SHA-256 hash,
// a resend limited per address and per IP, and the same answer for every address on resend.
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../storage/db.js';
import { consumeEmailVerificationToken, insertEmailVerificationToken } from '../storage/repositories/email-verification-tokens.js';
import { findUserByEmail, markEmailVerified } from '../storage/repositories/users.js';
import type { Mailer } from './email.js';
import type { RateLimit, RateLimitDecision, RateLimiter } from './fixed-window-limiter.js';
import { emailSchema } from './users.js';

/** 256 bits from the CSPRNG (ASVS 5.0 V7.2.3), base64url: 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export const VERIFY_EMAIL_PATH = '/account/verify-email';

export interface EmailVerificationSettings {
  tokenTtlSeconds: number;
  resendLimits: { perAddress: RateLimit; perIp: RateLimit };
}

export interface VerificationRecipient {
  id: string;
  email: string;
  name: string | null;
}

export type ResendOutcome = { limited: false } | { limited: true; retryAfterSeconds: number };

type Refusal = Extract<RateLimitDecision, { allowed: false }>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_FORMAT.test(token);
}

export function createEmailVerificationService(deps: {
  database: Database;
  mailer: Mailer;
  limiter: RateLimiter;
  issuer: string;
  settings: EmailVerificationSettings;
}) {
  const { database, mailer, limiter, issuer, settings } = deps;
  const expiresInHours = Math.max(1, Math.round(settings.tokenTtlSeconds / 3600));

  /** Stores a new token and mails its link; throws MailDeliveryError (the token row stays, unused). */
  async function sendVerification(user: VerificationRecipient): Promise<void> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    await insertEmailVerificationToken(database, {
      userId: user.id, email: user.email, tokenHash: hashToken(token), ttlSeconds: settings.tokenTtlSeconds,
    });
    const link = `${issuer}${VERIFY_EMAIL_PATH}?token=${token}`;
    await mailer.send({ to: user.email, template: 'verify-email', data: { name: user.name ?? undefined, link, expiresInHours } });
  }

  /** Uses a token once and marks its account's email verified; false for unknown, used or expired. */
  async function verify(token: string): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    return database.transaction(async (tx) => {
      const userId = await consumeEmailVerificationToken(tx, hashToken(token));
      if (!userId) return false;
      await markEmailVerified(tx, userId);
      return true;
    });
  }

  /**
   * Sends a fresh link when the address belongs to an active, unverified account. Limits count
   * every request, known address or not, so the 429 does not reveal which addresses exist.
   */
  async function resend(email: string, ip: string): Promise<ResendOutcome> {
    const address = email.trim().toLowerCase();
    const byAddress = await limiter.hit(`verify-resend:email:${hashToken(address)}`, settings.resendLimits.perAddress);
    const byIp = await limiter.hit(`verify-resend:ip:${ip}`, settings.resendLimits.perIp);
    const refused = [byAddress, byIp].filter((decision): decision is Refusal => !decision.allowed);
    if (refused.length > 0) {
      return { limited: true, retryAfterSeconds: Math.max(...refused.map((decision) => decision.retryAfterSeconds)) };
    }
    const parsed = emailSchema.safeParse(address);
    const row = parsed.success ? await findUserByEmail(database, parsed.data) : undefined;
    if (row && !row.email_verified && row.status === 'active') await sendVerification(row);
    return { limited: false };
  }

  return { sendVerification, verify, resend };
}

export type EmailVerificationService = ReturnType<typeof createEmailVerificationService>;
