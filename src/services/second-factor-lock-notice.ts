// Mails the owner when wrong second-factor codes lock the account's second-factor attempts, as a
// password lock does (login-guard.ts). A wrong code comes after a right password, so the mail says
// the password may be known and points to a reset (ASVS 5.0 V6.3.5: notify the owner of a
// partially successful authentication).
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/db.js';
import { findUserById } from '../storage/repositories/users.js';
import { sendNotice, type Mailer } from './email.js';

export function createSecondFactorLockNotice(deps: { database: Database; mailer: Mailer; logger: Logger; issuer: string }) {
  const { database, mailer, logger, issuer } = deps;
  return async function notifySecondFactorLocked(userId: string, lockedUntil: Date): Promise<void> {
    const user = await findUserById(database, userId);
    if (!user) return;
    await sendNotice(mailer, logger, {
      to: user.email,
      template: 'second-factor-locked',
      data: { name: user.name ?? undefined, lockedUntil, resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}` },
    }, { userId, what: 'second-factor lock notice' });
  };
}
