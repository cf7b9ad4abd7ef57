// Closing an account from its own page. Deactivation keeps everything and can be
// undone (by signing in again or by an admin, per accounts.reactivation); deletion removes the
// person's data for good. Both sign the account out everywhere first, and ask for the password.
import type { Logger } from '../logger.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { Database } from '../storage/db.js';
import { deleteAccountSessionsOf } from '../storage/repositories/account-sessions.js';
import { deleteUser, setUserStatus } from '../storage/repositories/users.js';
import type { RevokeAccountTokens } from './account-revocation.js';
import { sendNotice, type Mailer } from './email.js';
import type { Reauthenticate, ReauthenticationOutcome } from './reauthentication.js';
import type { ReactivationPolicy } from './users.js';

export type AccountClosureOutcome = Exclude<ReauthenticationOutcome, { ok: true }> | { ok: true };

const REACTIVATION_WORDS: Record<ReactivationPolicy, string> = {
  'sign-in': 'To use it again, simply sign in with your email address and password.',
  admin: 'To use it again, ask the administrator to reactivate it.',
};

export function createAccountClosureService(deps: {
  database: Database;
  reauthenticate: Reauthenticate;
  revokeAccountTokens: RevokeAccountTokens;
  mailer: Mailer;
  audit: AuditLog;
  logger: Logger;
  reactivation: ReactivationPolicy;
}) {
  const { database, reauthenticate, revokeAccountTokens, mailer, audit, logger, reactivation } = deps;

  async function deactivate(userId: string, password: string, origin: RequestOrigin): Promise<AccountClosureOutcome> {
    const check = await reauthenticate(userId, password, { action: 'account.deactivated', origin });
    if (!check.ok) return check;
    const { user } = check;
    await database.transaction(async (tx) => {
      await setUserStatus(tx, user.id, 'deactivated');
      await audit.record({ type: 'account.deactivated', outcome: 'success', accountId: user.id, email: user.email, ...origin }, tx);
    });
    await revokeAccountTokens(user.id, { reason: 'account-closed' });
    await sendNotice(mailer, logger, {
      to: user.email,
      template: 'account-closed',
      data: { name: user.name ?? undefined, action: 'deactivated', closedAt: new Date(), reactivation: REACTIVATION_WORDS[reactivation] },
    }, { userId: user.id, what: 'account deactivated notice' });
    return { ok: true };
  }

  /**
   * Signs out everywhere, then deletes the account row; tokens, credentials and links go with it
   * (ON DELETE CASCADE). If the process dies in between, the account still exists, signed out.
   * The audit trail keeps the account's rows with the account id only (email, IP and user agent
   * cleared), and the deletion itself is recorded the same way, in the same transaction. The
   * person's own deletion and an admin's both come here (`by` names the admin).
   */
  async function erase(user: { id: string; email: string; name: string | null }, options: { by?: string } = {}): Promise<void> {
    await revokeAccountTokens(user.id, { reason: 'account-closed', by: options.by });
    await database.transaction(async (tx) => {
      await audit.forgetAccount(user.id, tx);
      await audit.record({ type: 'account.deleted', outcome: 'success', accountId: user.id, ...(options.by ? { detail: { by: options.by } } : {}) }, tx);
      await deleteAccountSessionsOf(tx, user.id);
      await deleteUser(tx, user.id);
    });
    await sendNotice(mailer, logger, {
      to: user.email,
      template: 'account-closed',
      data: { name: user.name ?? undefined, action: 'deleted', closedAt: new Date(), reactivation: '' },
    }, { userId: user.id, what: 'account deleted notice' });
  }

  async function remove(userId: string, password: string, origin: RequestOrigin): Promise<AccountClosureOutcome> {
    const check = await reauthenticate(userId, password, { action: 'account.deleted', origin });
    if (!check.ok) return check;
    await erase(check.user);
    return { ok: true };
  }

  return { deactivate, remove, erase, reactivationWords: REACTIVATION_WORDS[reactivation] };
}

export type AccountClosureService = ReturnType<typeof createAccountClosureService>;
