// Changing the password of a signed-in account: the current password is asked
// again, the new one meets the policy, and every other session of the account ends with its
// tokens, while the one that made the change stays signed in (ASVS 5.0 V6.2.3, V7.4.3).
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { Database } from '../storage/db.js';
import { consumeAllUserLinkTokens } from '../storage/repositories/user-link-tokens.js';
import { updatePasswordHash } from '../storage/repositories/users.js';
import type { RevokeAccountTokens } from './account-revocation.js';
import { sendNotice, type Mailer } from './email.js';
import { WeakPasswordError, type PasswordPolicy } from './password-policy.js';
import type { PasswordService } from './passwords.js';
import type { Reauthenticate, ReauthenticationOutcome } from './reauthentication.js';

export type PasswordChangeOutcome = Exclude<ReauthenticationOutcome, { ok: true }> | { ok: true };

/** "Your password was changed", with a reset link in case it was not the owner: after a change and after a reset. */
export function notifyPasswordChanged(
  mailer: Mailer, logger: Logger, issuer: string, user: { id: string; email: string; name: string | null },
): Promise<void> {
  return sendNotice(mailer, logger, {
    to: user.email,
    template: 'password-changed',
    data: { name: user.name ?? undefined, changedAt: new Date(), resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}` },
  }, { userId: user.id, what: 'password changed notification' });
}

export function createPasswordChangeService(deps: {
  database: Database;
  reauthenticate: Reauthenticate;
  passwords: PasswordService;
  passwordPolicy: PasswordPolicy;
  revokeAccountTokens: RevokeAccountTokens;
  mailer: Mailer;
  audit: AuditLog;
  logger: Logger;
  issuer: string;
}) {
  const { database, reauthenticate, passwords, passwordPolicy, revokeAccountTokens, mailer, audit, logger, issuer } = deps;

  /**
   * Throws WeakPasswordError when the policy refuses the new password (nothing changed) and
   * BusyError when hashing is saturated.
   */
  async function change(
    userId: string, currentPassword: string, newPassword: string, keepSessionId: string, origin: RequestOrigin,
  ): Promise<PasswordChangeOutcome> {
    const check = await reauthenticate(userId, currentPassword, { action: 'password.changed', origin });
    if (!check.ok) return check;
    const { user } = check;
    const problem = passwordPolicy.check(newPassword, { email: user.email, name: user.name });
    if (problem) throw new WeakPasswordError(problem);
    const passwordHash = await passwords.hash(newPassword);
    await database.transaction(async (tx) => {
      await updatePasswordHash(tx, user.id, passwordHash);
      // A reset link mailed before the change must not undo it.
      await consumeAllUserLinkTokens(tx, 'password_reset_tokens', user.id);
      await audit.record({ type: 'password.changed', outcome: 'success', accountId: user.id, email: user.email, ...origin }, tx);
    });
    await revokeAccountTokens(user.id, { exceptSessionId: keepSessionId, reason: 'password-changed' });
    await notifyPasswordChanged(mailer, logger, issuer, user);
    return { ok: true };
  }

  return { change };
}

export type PasswordChangeService = ReturnType<typeof createPasswordChangeService>;
