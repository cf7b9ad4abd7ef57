// New-device alerts: a sign-in from a browser the account has not used before
// mails the owner when, how and from where, with a "this wasn't me" link that ends every session,
// revokes every refresh token and trusted device, blocks the current password until a reset sets
// a new one (whoever signed in knew it), and starts a password reset. An account's very
// first sign-in is not announced (there is nothing to compare it with).
import { ACCOUNT_PATHS } from '../paths.js';
import type { Logger } from '../logger.js';
import type { Database } from '../storage/db.js';
import { forgetKnownDevices, recordDeviceSignIn } from '../storage/repositories/known-devices.js';
import { revokeTrustedDevices } from '../storage/repositories/trusted-devices.js';
import {
  consumeUserLinkToken, findLiveUserLinkTokenUser, insertUserLinkToken, isUserLinkTokenLive,
} from '../storage/repositories/user-link-tokens.js';
import { blockPassword, findUserById } from '../storage/repositories/users.js';
import type { RevokeAccountTokens } from './account-revocation.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import { sendNotice, type Mailer } from './email.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';

// As long as a reset link would be worth having: a week to notice the mail.
const NOT_ME_LINK_TTL_SECONDS = 7 * 24 * 3600;

export interface SignInAlertDeps {
  database: Database;
  mailer: Mailer;
  audit: AuditLog;
  logger: Logger;
  issuer: string;
  revokeAccountTokens: RevokeAccountTokens;
  /** Mails the owner a password reset link, as the forgot-password page does. */
  startPasswordReset: (email: string, origin: RequestOrigin) => Promise<unknown>;
}

export function createSignInAlerts(deps: SignInAlertDeps) {
  const { database, mailer, audit, logger, issuer, revokeAccountTokens, startPasswordReset } = deps;

  /** After a completed sign-in: remembers the device, and mails the owner when it is new. */
  async function recordSignIn(userId: string, deviceId: string, label: string, origin: RequestOrigin): Promise<{ alerted: boolean }> {
    const device = await recordDeviceSignIn(database, userId, hashToken(deviceId), label);
    if (!device.isNew || device.knownBefore === 0) return { alerted: false };
    const user = await findUserById(database, userId);
    if (!user) return { alerted: false };
    const { token, tokenHash } = newLinkToken();
    await insertUserLinkToken(database, 'sign_in_alert_tokens', { userId, tokenHash, ttlSeconds: NOT_ME_LINK_TTL_SECONDS });
    await sendNotice(mailer, logger, {
      to: user.email,
      template: 'new-sign-in',
      data: { name: user.name ?? undefined, signedInAt: new Date(), device: label, ip: origin.ip, notMeLink: `${issuer}${ACCOUNT_PATHS.notMe}?token=${token}` },
      locale: user.locale,
    }, { userId, what: 'new sign-in notice' });
    return { alerted: true };
  }

  async function isNotMeLinkUsable(token: string): Promise<boolean> {
    return isWellFormedToken(token) && isUserLinkTokenLive(database, 'sign_in_alert_tokens', hashToken(token));
  }

  /**
   * "This wasn't me": signs the account out everywhere, blocks the password and mails a reset link; false for a dead
   * link. Sessions and tokens end first (safe to repeat), so a failure there leaves the link
   * usable; then the link is spent with the devices and the audit row in one transaction.
   */
  async function notMe(token: string, origin: RequestOrigin): Promise<boolean> {
    if (!isWellFormedToken(token)) return false;
    const tokenHash = hashToken(token);
    const userId = await findLiveUserLinkTokenUser(database, 'sign_in_alert_tokens', tokenHash);
    const user = userId ? await findUserById(database, userId) : undefined;
    if (!user) return false;
    await revokeAccountTokens(user.id);
    const spent = await database.transaction(async (tx) => {
      if ((await consumeUserLinkToken(tx, 'sign_in_alert_tokens', tokenHash)) !== user.id) return false;
      await revokeTrustedDevices(tx, user.id);
      // Every browser must prove itself again, and each will be announced again.
      await forgetKnownDevices(tx, user.id);
      // The stranger signed in with the password, so it must stop working until the owner sets
      // a new one through the mailed reset link (ASVS 5.0 V6.4: recovery must not leave the
      // compromised authenticator in place; NIST 800-63B §6.1.2.3 on compromised authenticators).
      await blockPassword(tx, user.id);
      await audit.record({ type: 'session.ended', outcome: 'success', accountId: user.id, email: user.email, ...origin, detail: { reason: 'not_me', scope: 'all' } }, tx);
      await audit.record({ type: 'password.blocked', outcome: 'success', accountId: user.id, email: user.email, ...origin, detail: { reason: 'not_me' } }, tx);
      return true;
    });
    if (!spent) return false;
    await startPasswordReset(user.email, origin);
    return true;
  }

  return { recordSignIn, isNotMeLinkUsable, notMe };
}

export type SignInAlerts = ReturnType<typeof createSignInAlerts>;
