// Password reset (issue 4): the same answer for every address, single-use links whose token is
// stored only as a SHA-256 hash, and a reset that ends every session and grant of the account.
import { MailDeliveryError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/db.js';
import {
  consumeAllPasswordResetTokens, consumePasswordResetToken, findLivePasswordResetTokenUser, insertPasswordResetToken,
} from '../storage/repositories/password-reset-tokens.js';
import { findUserByEmail, findUserById, markEmailVerified, updatePasswordHash } from '../storage/repositories/users.js';
import type { Mailer } from './email.js';
import { hitAddressAndIp, type AddressAndIpLimits, type LimitOutcome, type RateLimiter } from './fixed-window-limiter.js';
import { hashToken, isWellFormedToken, newLinkToken } from './link-tokens.js';
import { WeakPasswordError, type PasswordPolicy } from './password-policy.js';
import type { PasswordService } from './passwords.js';
import { emailSchema } from './users.js';

export const RESET_PASSWORD_PATH = '/account/reset-password';
export const FORGOT_PASSWORD_PATH = '/account/forgot-password';

export interface PasswordResetSettings {
  tokenTtlSeconds: number;
  requestLimits: AddressAndIpLimits;
}

export type ResetRequestOutcome = LimitOutcome;

/** Ends every session and revokes every token of an account, in whichever store holds them. */
export type RevokeAccountTokens = (accountId: string) => Promise<void>;

export function createPasswordResetService(deps: {
  database: Database;
  mailer: Mailer;
  limiter: RateLimiter;
  passwords: PasswordService;
  passwordPolicy: PasswordPolicy;
  revokeAccountTokens: RevokeAccountTokens;
  logger: Logger;
  issuer: string;
  settings: PasswordResetSettings;
}) {
  const { database, mailer, limiter, passwords, passwordPolicy, revokeAccountTokens, logger, issuer, settings } = deps;
  const expiresInMinutes = Math.max(1, Math.round(settings.tokenTtlSeconds / 60));

  /**
   * Mails a reset link when the address belongs to an active account; the outcome is the same
   * for every address. Limits count every request, known address or not, so the 429 does not
   * reveal which addresses exist. A mail that cannot be delivered is logged, not reported.
   */
  async function request(email: string, ip: string): Promise<ResetRequestOutcome> {
    const address = email.trim().toLowerCase();
    const limit = await hitAddressAndIp(limiter, 'password-reset', address, ip, settings.requestLimits, hashToken);
    if (limit.limited) return limit;
    const parsed = emailSchema.safeParse(address);
    const row = parsed.success ? await findUserByEmail(database, parsed.data) : undefined;
    if (!row || row.status !== 'active') return { limited: false };
    const { token, tokenHash } = newLinkToken();
    await insertPasswordResetToken(database, { userId: row.id, tokenHash, ttlSeconds: settings.tokenTtlSeconds });
    const link = `${issuer}${RESET_PASSWORD_PATH}?token=${token}`;
    try {
      await mailer.send({ to: row.email, template: 'password-reset', data: { name: row.name ?? undefined, link, expiresInMinutes } });
    } catch (error) {
      if (!(error instanceof MailDeliveryError)) throw error;
      // The mailer has logged the transport's error; the page stays the same for every address.
      logger.error({ userId: row.id }, 'password reset mail not delivered');
    }
    return { limited: false };
  }

  /** Whether a token can still be used, without spending it (for showing the form). */
  async function isUsable(token: string): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    return (await findLivePasswordResetTokenUser(database, hashToken(token))) !== undefined;
  }

  /**
   * Sets a new password with a live token. False for an unknown, used or expired token; throws
   * WeakPasswordError (token kept) when the policy refuses the password. On success every
   * session and token of the account ends and the owner is told by mail.
   */
  async function reset(token: string, newPassword: string): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    const tokenHash = hashToken(token);
    const userId = await findLivePasswordResetTokenUser(database, tokenHash);
    const user = userId ? await findUserById(database, userId) : undefined;
    if (!user) return false;
    const problem = passwordPolicy.check(newPassword, { email: user.email, name: user.name });
    if (problem) throw new WeakPasswordError(problem);
    const passwordHash = await passwords.hash(newPassword);
    const spent = await database.transaction(async (tx) => {
      const owner = await consumePasswordResetToken(tx, tokenHash);
      if (owner !== user.id) return false;
      await updatePasswordHash(tx, user.id, passwordHash);
      // Following the link proved control of the mailbox.
      await markEmailVerified(tx, user.id);
      await consumeAllPasswordResetTokens(tx, user.id);
      return true;
    });
    if (!spent) return false;
    await revokeAccountTokens(user.id);
    try {
      await mailer.send({
        to: user.email,
        template: 'password-changed',
        data: { name: user.name ?? undefined, changedAt: new Date(), resetLink: `${issuer}${FORGOT_PASSWORD_PATH}` },
      });
    } catch (error) {
      if (!(error instanceof MailDeliveryError)) throw error;
      logger.error({ userId: user.id }, 'password changed notification not delivered');
    }
    return true;
  }

  return { request, isUsable, reset };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
