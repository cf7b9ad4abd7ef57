// Changing the email address of a signed-in account: the password is asked
// again, the new address must prove itself through a single-use link, and the old address is
// told once the change is made (ASVS 5.0 V6.3.7 — notify of changes to authentication details).
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import { isUniqueViolation, type Database } from '../storage/db.js';
import { consumeEmailChangeToken, insertEmailChangeToken, isEmailChangeTokenLive } from '../storage/repositories/email-verification-tokens.js';
import { findUserByEmail, updateEmail } from '../storage/repositories/users.js';
import { sendNotice, type Mailer } from './email.js';
import type { KeyedHash } from '../crypto/keyed-hash.js';
import { hashToken, isWellFormedToken, newLinkToken, randomToken } from '../crypto/tokens.js';
import { insertEmailChangeUndoToken } from '../storage/repositories/email-change-undo-tokens.js';
import type { Reauthenticate, ReauthenticationOutcome } from './reauthentication.js';


export type EmailChangeRequestOutcome =
  | Exclude<ReauthenticationOutcome, { ok: true }>
  | { ok: false; reason: 'same-address' }
  | { ok: true };

export type EmailChangeConfirmOutcome = { ok: true; newEmail: string } | { ok: false; reason: 'invalid-link' | 'address-taken' };

export function createEmailChangeService(deps: {
  database: Database;
  reauthenticate: Reauthenticate;
  mailer: Mailer;
  audit: AuditLog;
  logger: Logger;
  issuer: string;
  tokenTtlSeconds: number;
  /** The undo link mailed to the old address (email-change-undo.ts): its keyed hash and lifetime. */
  undo: { hash: KeyedHash; ttlSeconds: number };
}) {
  const { database, reauthenticate, mailer, audit, logger, issuer, tokenTtlSeconds, undo } = deps;
  const expiresInHours = Math.max(1, Math.round(tokenTtlSeconds / 3600));

  /**
   * Mails a confirmation link to the new address. When another account already has that
   * address, its owner is told instead and the answer is the same, so the form cannot be used
   * to learn which addresses have accounts. Throws MailDeliveryError when the link cannot be
   * sent (nothing changes: the person can try again).
   */
  async function request(userId: string, password: string, newEmail: string, origin: RequestOrigin): Promise<EmailChangeRequestOutcome> {
    const check = await reauthenticate(userId, password, { action: 'email.change_requested', origin });
    if (!check.ok) return check;
    const { user } = check;
    if (newEmail.toLowerCase() === user.email.toLowerCase()) return { ok: false, reason: 'same-address' };
    const owner = await findUserByEmail(database, newEmail);
    await audit.record({
      type: 'email.change_requested', outcome: owner ? 'failure' : 'success', accountId: user.id, email: user.email, ...origin,
      ...(owner ? { detail: { reason: 'address_taken' } } : {}),
    });
    if (owner) {
      await sendNotice(mailer, logger, {
        to: owner.email,
        template: 'email-change-attempt',
        data: { name: owner.name ?? undefined, resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}` },
      }, { userId: owner.id, what: 'email change attempt notice' });
      return { ok: true };
    }
    const { token, tokenHash } = newLinkToken();
    await insertEmailChangeToken(database, { userId: user.id, email: newEmail, previousEmail: user.email, tokenHash, ttlSeconds: tokenTtlSeconds });
    await mailer.send({
      to: newEmail,
      template: 'confirm-email-change',
      data: { name: user.name ?? undefined, link: `${issuer}${ACCOUNT_PATHS.confirmEmail}?token=${token}`, expiresInHours },
    });
    return { ok: true };
  }

  /** Whether a link can still be used, without spending it (for showing the confirm button). */
  async function isUsable(token: string): Promise<boolean> {
    return isWellFormedToken(token) && isEmailChangeTokenLive(database, hashToken(token));
  }

  /**
   * Spends the link and switches the address, then tells the old address, with a link that gives
   * it back for undo.ttlSeconds: a reset link for the old address could not work, since the
   * account no longer has it (ASVS 5.0 V6.3.7).
   */
  async function confirm(token: string, origin: RequestOrigin): Promise<EmailChangeConfirmOutcome> {
    if (!isWellFormedToken(token)) return { ok: false, reason: 'invalid-link' };
    const undoToken = randomToken();
    let changed;
    try {
      changed = await database.transaction(async (tx) => {
        const spent = await consumeEmailChangeToken(tx, hashToken(token));
        if (!spent) return undefined;
        await updateEmail(tx, spent.userId, spent.newEmail);
        await audit.record({
          type: 'email.changed', outcome: 'success', accountId: spent.userId, email: spent.newEmail, ...origin,
          detail: { previousEmail: spent.previousEmail },
        }, tx);
        await insertEmailChangeUndoToken(tx, {
          userId: spent.userId, tokenHash: undo.hash(undoToken), previousEmail: spent.previousEmail, changedEmail: spent.newEmail, ttlSeconds: undo.ttlSeconds,
        });
        return spent;
      });
    } catch (error) {
      // Someone registered the address between the request and the click; nothing changed.
      if (isUniqueViolation(error)) return { ok: false, reason: 'address-taken' };
      throw error;
    }
    if (!changed) return { ok: false, reason: 'invalid-link' };
    await sendNotice(mailer, logger, {
      to: changed.previousEmail,
      template: 'email-changed',
      data: {
        newEmail: changed.newEmail, changedAt: new Date(),
        undoLink: `${issuer}${ACCOUNT_PATHS.undoEmailChange}?token=${undoToken}`,
        undoExpiresInDays: Math.max(1, Math.round(undo.ttlSeconds / 86_400)),
      },
    }, { userId: changed.userId, what: 'email changed notice' });
    return { ok: true, newEmail: changed.newEmail };
  }

  return { request, isUsable, confirm };
}

export type EmailChangeService = ReturnType<typeof createEmailChangeService>;
