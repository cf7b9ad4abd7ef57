// An admin's changes to people's accounts, for the admin API and the CLI alike. Each change is
// audited naming the admin (`by`: admin:<account id>, or admin-cli) in the transaction that makes
// it where one row is written, or right after a multi-store change.
import { z } from 'zod';
import { ConflictError, ValidationError } from '../errors.js';
import { isUniqueViolation, type Database } from '../storage/db.js';
import { revokeTrustedDevices } from '../storage/repositories/trusted-devices.js';
import { addUserRoles, removeUserRoles } from '../storage/repositories/user-roles.js';
import { markEmailVerified, setUserStatus, updateEmail, updatePasswordHash, updateProfile } from '../storage/repositories/users.js';
import type { AccountClosureService } from './account-closure.js';
import type { AccountMailQueue } from './account-mail.js';
import type { RevokeAccountTokens } from './account-revocation.js';
import type { AuditDetail, AuditLog, RequestOrigin } from './audit.js';
import type { InvitationService } from './invitations.js';
import type { LoginGuard } from './login-guard.js';
import { WeakPasswordError, type PasswordPolicy } from './password-policy.js';
import type { PasswordService } from './passwords.js';
import type { SessionService } from './sessions.js';
import type { TwoFactorService } from './two-factor.js';
import { sendNotice, type MailMessage, type Mailer } from './email.js';
import type { EmailTemplateName } from './email-templates.js';
import type { Logger } from '../logger.js';
import { ACCOUNT_PATHS } from '../paths.js';
import type { UserDirectory } from './user-directory.js';
import { ADMIN_ROLE, emailSchema, parseRoles, type NewUserInput, type User, type UserService } from './users.js';

/** Who made a change and from where, for the audit rows. */
export interface AdminActor {
  /** admin:<account id> for the API, admin-cli for the command line. */
  by: string;
  origin?: Partial<RequestOrigin> | undefined;
  /** The acting admin's own account, when an admin (not the command line) makes the change. */
  accountId?: string | undefined;
}

/**
 * An admin does not disable or delete their own account, nor take their own admin role: the last
 * admin would lock everyone out. Another admin, or the command line, can.
 */
function refuseSelfLockout(id: string, actor: AdminActor, what: 'disable' | 'delete' | 'take away the admin role of'): void {
  if (actor.accountId !== undefined && actor.accountId === id) {
    const doing = what === 'take away the admin role of' ? 'take away your own admin role' : `${what} your own account`;
    throw new ConflictError(`You cannot ${doing} here; ask another admin, or use the gatehouse command.`);
  }
}

const optionalName = (max: number) => z.string().trim().max(max).nullable().transform((value) => value || null);

/** What an admin may change of a profile; each field is left as it is when absent. */
export const adminProfileSchema = z.object({
  name: optionalName(200).optional(),
  givenName: optionalName(100).optional(),
  familyName: optionalName(100).optional(),
  email: emailSchema.optional(),
}).strict();

export type AdminProfileInput = z.input<typeof adminProfileSchema>;

export interface DisableOutcome {
  user: User;
  sessions: number;
  /** Grants revoked (offline_access ones included); undefined when they were kept. */
  grants: number | undefined;
}

export function createUserAdmin(deps: {
  database: Database;
  users: UserService;
  directory: UserDirectory;
  audit: AuditLog;
  sessions: SessionService;
  revokeAccountTokens: RevokeAccountTokens;
  accountClosure: AccountClosureService;
  twoFactor: TwoFactorService;
  loginGuard: LoginGuard;
  invitations: InvitationService;
  mailQueue: AccountMailQueue;
  /** Notices to the person of changes to how they sign in (ASVS 5.0 V6.3.7). */
  mailer: Mailer;
  logger: Logger;
  issuer: string;
  passwords: PasswordService;
  passwordPolicy: PasswordPolicy;
  /** registration.policy: under "off" an invitation could not be used. */
  registrationPolicy: 'open' | 'invite-only' | 'off';
}) {
  const { database, users, directory, audit, sessions, revokeAccountTokens, accountClosure } = deps;
  const forgotPasswordLink = `${deps.issuer}${ACCOUNT_PATHS.forgotPassword}`;
  const nameOf = (user: User) => (user.name ? { name: user.name } : {});

  /** A notice to the account's address as it was; its loss is logged, never undoes the change. */
  function notify<T extends EmailTemplateName>(user: User, message: Omit<MailMessage<T>, 'to'>, what: string): Promise<void> {
    return sendNotice(deps.mailer, deps.logger, { ...message, to: user.email } as MailMessage<T>, { userId: user.id, what });
  }

  function changed(user: Pick<User, 'id' | 'email'>, actor: AdminActor, detail: AuditDetail) {
    return {
      type: 'admin.user_changed', outcome: 'success', accountId: user.id, email: user.email, ...actor.origin, detail: { ...detail, by: actor.by },
    } as const;
  }

  /** A new account with a password (ConflictError for a taken address, WeakPasswordError, ValidationError). */
  async function create(input: NewUserInput, actor: AdminActor): Promise<User> {
    const prepared = await users.prepare(input);
    return database.transaction(async (tx) => {
      const user = await users.insert(prepared, tx);
      await audit.record(changed(user, actor, { action: 'created', ...(prepared.roles?.length ? { roles: prepared.roles.join(',') } : {}) }), tx);
      return user;
    });
  }

  /** Mails an invitation to register (registration.policy "invite-only" or "open"). */
  async function invite(email: string, actor: AdminActor, invitedBy?: string): Promise<{ expiresAt: Date }> {
    if (deps.registrationPolicy === 'off') throw new ConflictError('registration.policy is "off", so an invitation could not be used');
    const invited = await deps.invitations.invite(email, invitedBy);
    await audit.record({ type: 'admin.user_changed', outcome: 'success', email: email.trim(), ...actor.origin, detail: { action: 'invited', by: actor.by } });
    return invited;
  }

  /**
   * Changes name fields and the address. An address an admin sets counts as verified: the admin
   * vouches for it, as for `users add --verified` (the old address is not told).
   */
  async function updateUserProfile(id: string, input: AdminProfileInput, actor: AdminActor): Promise<User> {
    const parsed = adminProfileSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map(String).join('.') || '(body)';
      throw new ValidationError(`${field}: ${issue.message}`, { fields: { [field]: issue.message } });
    }
    const user = await directory.require(id);
    const next = {
      name: parsed.data.name === undefined ? user.name : parsed.data.name,
      givenName: parsed.data.givenName === undefined ? user.givenName : parsed.data.givenName,
      familyName: parsed.data.familyName === undefined ? user.familyName : parsed.data.familyName,
      email: parsed.data.email ?? user.email,
    };
    const fields = (['name', 'givenName', 'familyName', 'email'] as const).filter((field) => next[field] !== user[field]);
    if (fields.length === 0) return user;
    try {
      await database.transaction(async (tx) => {
        await updateProfile(tx, user.id, { name: next.name, givenName: next.givenName, familyName: next.familyName });
        if (fields.includes('email')) await updateEmail(tx, user.id, next.email);
        await audit.record(changed({ id: user.id, email: next.email }, actor, { action: 'profile_updated', fields: fields.join(',') }), tx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a user with email ${next.email} already exists`);
      throw error;
    }
    // As a self-service change does: the old address hears where its mail now goes.
    if (fields.includes('email')) {
      await notify(user, {
        template: 'email-changed', data: { ...nameOf(user), newEmail: next.email, changedAt: new Date() },
      }, 'email changed notice');
    }
    return directory.require(user.id);
  }

  async function verifyEmail(id: string, actor: AdminActor): Promise<User> {
    const user = await directory.require(id);
    await database.transaction(async (tx) => {
      await markEmailVerified(tx, user.id);
      await audit.record(changed(user, actor, { action: 'email_verified', wasVerified: user.emailVerified }), tx);
    });
    return { ...user, emailVerified: true };
  }

  /**
   * Disables the account, then ends its sessions (back-channel logout to each app) and revokes
   * every grant with its tokens, offline_access ones included: an account an admin disables may
   * be compromised (RFC 9700 §4.14). The status goes first, so no refresh or sign-in succeeds
   * while the rest runs (oidc/account.ts refuses an account that is not active). With
   * keepGrants, only the sessions end; the grants stay, unusable while the account is disabled.
   */
  async function disable(id: string, actor: AdminActor, options: { keepGrants?: boolean } = {}): Promise<DisableOutcome> {
    refuseSelfLockout(id, actor, 'disable');
    const user = await directory.require(id);
    await database.transaction(async (tx) => {
      await setUserStatus(tx, user.id, 'disabled');
      await audit.record(changed(user, actor, { action: 'disabled', wasStatus: user.status, keepGrants: options.keepGrants === true }), tx);
    });
    if (options.keepGrants) {
      const ended = await sessions.endAll(user.id, 'admin', { by: actor.by });
      return { user: { ...user, status: 'disabled' }, sessions: ended.length, grants: undefined };
    }
    const revoked = await revokeAccountTokens(user.id, { reason: 'admin', by: actor.by });
    await audit.record(changed(user, actor, { action: 'grants_revoked', grants: revoked.grants, sessions: revoked.sessions.length }));
    return { user: { ...user, status: 'disabled' }, sessions: revoked.sessions.length, grants: revoked.grants };
  }

  /** Lets a disabled or deactivated account sign in again. */
  async function enable(id: string, actor: AdminActor): Promise<User> {
    const user = await directory.require(id);
    await database.transaction(async (tx) => {
      await setUserStatus(tx, user.id, 'active');
      // Recorded as a person's own reactivation by signing in is, with the admin as `by`.
      await audit.record({ ...changed(user, actor, { wasStatus: user.status }), type: 'account.reactivated' }, tx);
    });
    return { ...user, status: 'active' };
  }

  /** Deletes the account exactly as the person's own deletion does (account-closure.ts). */
  async function remove(id: string, actor: AdminActor): Promise<void> {
    refuseSelfLockout(id, actor, 'delete');
    await accountClosure.erase(await directory.require(id), { by: actor.by });
  }

  /** Removes the authenticator, backup codes and remembered devices; true when two-factor was on. */
  async function resetTwoFactor(id: string, actor: AdminActor): Promise<boolean> {
    const user = await directory.require(id);
    const wasOn = await deps.twoFactor.reset(user.id);
    await audit.record({ type: 'two_factor.reset', outcome: 'success', accountId: user.id, email: user.email, ...actor.origin, detail: { by: actor.by, wasOn } });
    if (wasOn) {
      await notify(user, { template: 'two-factor-reset', data: { ...nameOf(user), resetAt: new Date(), resetLink: forgotPasswordLink } }, 'two-factor reset notice');
    }
    return wasOn;
  }

  /** Ends every lockout of the account (the login guard audits it); true when one was running. */
  async function unlock(id: string, actor: AdminActor): Promise<boolean> {
    const user = await directory.require(id);
    return deps.loginGuard.unlock(user.id, user.email, actor.origin ?? {}, actor.by);
  }

  /**
   * Queues the password-reset mail the forgot-password page sends (the worker mints the link),
   * without that page's rate limits: an admin asks for one person.
   */
  async function sendPasswordReset(id: string, actor: AdminActor): Promise<User> {
    const user = await directory.require(id);
    if (user.status !== 'active') throw new ConflictError(`<${user.email}> is ${user.status}: a reset link is mailed to active accounts only`);
    await deps.mailQueue.enqueue('password_reset', user.email, { ip: actor.origin?.ip ?? '', userAgent: actor.origin?.userAgent ?? null });
    await audit.record(changed(user, actor, { action: 'password_reset_sent' }));
    return user;
  }

  /**
   * Sets a password (the policy applies) and, as a reset does, ends every session and grant of
   * the account and forgets its remembered devices: whoever knew the old one is out.
   */
  async function setPassword(id: string, password: string, actor: AdminActor): Promise<{ user: User; sessions: number }> {
    const user = await directory.require(id);
    const problem = deps.passwordPolicy.check(password, { email: user.email, name: user.name });
    if (problem) throw new WeakPasswordError(problem);
    const passwordHash = await deps.passwords.hash(password);
    await database.transaction(async (tx) => {
      await updatePasswordHash(tx, user.id, passwordHash);
      const devices = await revokeTrustedDevices(tx, user.id);
      await audit.record(changed(user, actor, { action: 'password_set', trustedDevicesRevoked: devices }), tx);
    });
    const revoked = await revokeAccountTokens(user.id, { reason: 'password-reset', by: actor.by });
    await notify(user, { template: 'password-changed', data: { ...nameOf(user), changedAt: new Date(), resetLink: forgotPasswordLink } }, 'password changed notice');
    return { user, sessions: revoked.sessions.length };
  }

  /** Grants or takes away one role; `changed` is false when the user already had (or lacked) it. */
  async function setRole(id: string, role: string, grant: boolean, actor: AdminActor): Promise<{ roles: string[]; changed: boolean }> {
    const [checked] = parseRoles([role]);
    if (!grant && checked === ADMIN_ROLE) refuseSelfLockout(id, actor, 'take away the admin role of');
    const user = await directory.require(id);
    const done = await database.transaction(async (tx) => {
      const touched = grant ? await addUserRoles(tx, user.id, [checked!]) : await removeUserRoles(tx, user.id, [checked!]);
      if (touched.length > 0) {
        await audit.record(changed(user, actor, { action: 'roles_changed', added: grant ? checked! : '', removed: grant ? '' : checked! }), tx);
      }
      return touched.length > 0;
    });
    return { roles: await users.rolesOf(user.id), changed: done };
  }

  return {
    create, invite, updateProfile: updateUserProfile, verifyEmail, disable, enable, remove, resetTwoFactor, unlock, sendPasswordReset,
    setPassword, setRole,
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
