// Undoing an email change from the old address: the email-changed notice carries a single-use
// link (email-change.ts mints it) that gives the old address back. Whoever changed the address had
// a session and knew the password, so the undo also ends every session and grant, forgets the
// remembered devices, blocks the current password until a reset sets a new one, and mails a reset
// link to the restored address (ASVS 5.0 V6.3.7 and V6.4; NIST 800-63B §6.1.2.3).
import type { KeyedHash } from '../crypto/keyed-hash.js';
import { isWellFormedToken } from '../crypto/tokens.js';
import { isUniqueViolation, type Database } from '../storage/db.js';
import { consumeEmailChangeUndoToken, consumeLaterEmailChangeUndoTokens, findLiveEmailChangeUndo } from '../storage/repositories/email-change-undo-tokens.js';
import { cancelEmailChangeTokens } from '../storage/repositories/email-verification-tokens.js';
import { revokeTrustedDevices } from '../storage/repositories/trusted-devices.js';
import { blockPassword, findUserByEmail, updateEmail } from '../storage/repositories/users.js';
import type { RevokeAccountTokens } from './account-revocation.js';
import type { AuditLog, RequestOrigin } from './audit.js';

// A week: long enough for someone who reads the old mailbox now and then to notice the notice,
// short enough that an old address (a former employer's, a recycled one) cannot take the account
// back months after a deliberate change. The same span as the "this wasn't me" link.
export const EMAIL_CHANGE_UNDO_TTL_SECONDS = 7 * 24 * 3600;

export type EmailChangeUndoFailure = 'invalid-link' | 'address-taken';

export function createEmailChangeUndo(deps: {
  database: Database;
  audit: AuditLog;
  hash: KeyedHash;
  revokeAccountTokens: RevokeAccountTokens;
  /** Mails the owner a password reset link, as the forgot-password page does. */
  startPasswordReset: (email: string, origin: RequestOrigin) => Promise<unknown>;
}) {
  const { database, audit, hash, revokeAccountTokens, startPasswordReset } = deps;

  async function liveUndo(token: string) {
    return isWellFormedToken(token) ? findLiveEmailChangeUndo(database, hash(token)) : undefined;
  }

  /** Whether the link can still be used, without spending it (for showing the confirm page). */
  async function isUsable(token: string): Promise<boolean> {
    return (await liveUndo(token)) !== undefined;
  }

  /**
   * Gives the old address back; true, or why not. An address another account took meanwhile is
   * refused before anything changes, and the link stays usable should it be freed. Sessions end
   * first (safe to repeat), so a failure there leaves the link usable; then the link is spent
   * with the address, the block and the audit rows in one transaction.
   */
  async function undo(token: string, origin: RequestOrigin): Promise<true | EmailChangeUndoFailure> {
    const live = await liveUndo(token);
    if (!live) return 'invalid-link';
    const holder = await findUserByEmail(database, live.previousEmail);
    if (holder && holder.id !== live.userId) return 'address-taken';
    await revokeAccountTokens(live.userId);
    let restored;
    try {
      restored = await database.transaction(async (tx) => {
        const spent = await consumeEmailChangeUndoToken(tx, hash(token));
        if (!spent) return undefined;
        await updateEmail(tx, spent.userId, spent.previousEmail);
        // Links of later changes (to the address taken away, or moved on from it) must not move it again.
        await consumeLaterEmailChangeUndoTokens(tx, spent.userId, spent.createdAt);
        // Links the other person asked for (to yet another address) must not redo the change.
        await cancelEmailChangeTokens(tx, spent.userId);
        await revokeTrustedDevices(tx, spent.userId);
        await blockPassword(tx, spent.userId);
        const who = { accountId: spent.userId, email: spent.previousEmail, ...origin };
        await audit.record({ type: 'email.change_undone', outcome: 'success', ...who, detail: { undoneEmail: spent.changedEmail } }, tx);
        await audit.record({ type: 'password.blocked', outcome: 'success', ...who, detail: { reason: 'email_change_undone' } }, tx);
        return spent;
      });
    } catch (error) {
      // Taken between the check and the change; nothing changed.
      if (isUniqueViolation(error)) return 'address-taken';
      throw error;
    }
    if (!restored) return 'invalid-link';
    await startPasswordReset(restored.previousEmail, origin);
    return true;
  }

  return { isUsable, undo };
}

export type EmailChangeUndo = ReturnType<typeof createEmailChangeUndo>;
