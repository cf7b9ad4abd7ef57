// Self-service sign-up. The answer is the same whether or not the address is taken
// (ASVS 5.0 V6.3.8): a new address gets an account and a verification link, a taken one gets a
// "someone tried to register" mail to its owner, and both cost the same argon2 hash and the same
// statements in the request; the mail goes out after the answer.
import type { Locale } from '../i18n/locales.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { AppError, ConflictError, NotFoundError, RateLimitedError } from '../errors.js';
import type { Database } from '../storage/db.js';
import { findUserByEmail } from '../storage/repositories/users.js';
import type { AccountMailJob, AccountMailQueue } from './account-mail.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { Mailer } from './email.js';
import type { InvitationService } from './invitations.js';
import type { RateLimit, RateLimiter } from './rate-limiter.js';
import type { UserService } from './users.js';

export type RegistrationPolicy = 'open' | 'invite-only' | 'off';

export class RegistrationClosedError extends NotFoundError {
  constructor() {
    super('Registration is turned off on this server. Ask an administrator for an account.');
  }
}

export class InvitationRequiredError extends AppError {
  constructor() {
    super('Registration is by invitation only.', { status: 403, code: 'invitation_required' });
  }
}

export class InvitationInvalidError extends AppError {
  constructor() {
    super('This invitation link has expired, was already used, or is incomplete. Ask for a new invitation.', { status: 400, code: 'invitation_invalid' });
  }
}

export interface RegistrationInput {
  email: string;
  name: string;
  password: string;
  /** The language of the registration page: the account's mails are written in it. */
  locale?: Locale | undefined;
}

/** invited: the account was made from an invitation and is ready to sign in. */
export interface RegistrationOutcome {
  invited?: boolean;
}

export function createRegistrationService(deps: {
  database: Database;
  users: UserService;
  mailer: Mailer;
  mailQueue: AccountMailQueue;
  audit: AuditLog;
  invitations: InvitationService;
  limiter: RateLimiter;
  /** Registrations per IP, known address or not (rateLimits.registrationPerIp). */
  perIp: RateLimit;
  issuer: string;
  policy: RegistrationPolicy;
}) {
  const { database, users, mailer, mailQueue, audit, invitations, limiter, perIp, issuer, policy } = deps;

  /** Whether the form may be shown at all; an invitation opens an invite-only server. */
  function ensureOpen(withInvitation = false): void {
    if (policy === 'off') throw new RegistrationClosedError();
    if (policy === 'invite-only' && !withInvitation) throw new InvitationRequiredError();
  }

  /** Whether anyone may register without an invitation: the login page then links to the form. */
  function isOpenToAll(): boolean {
    return policy === 'open';
  }

  /**
   * Registration from an invitation: the invited address (not what was typed) gets an account
   * whose email is verified, since following the link proved the mailbox. The invitation is
   * spent in the same transaction as the insert, so a refused password keeps it usable and two
   * concurrent uses make one account.
   */
  async function registerInvited(input: RegistrationInput, invitation: string, origin: RequestOrigin): Promise<RegistrationOutcome> {
    const invitedEmail = await invitations.invitedEmail(invitation);
    if (!invitedEmail) throw new InvitationInvalidError();
    // Hashed before the transaction opens, so no connection waits on argon2.
    const prepared = await users.prepare({ email: invitedEmail, name: input.name, password: input.password, emailVerified: true, locale: input.locale });
    const user = await database.transaction(async (tx) => {
      const email = await invitations.spend(invitation, tx);
      if (!email || email.toLowerCase() !== prepared.email.toLowerCase()) throw new InvitationInvalidError();
      try {
        return await users.insert(prepared, tx);
      } catch (error) {
        // The address registered some other way since the invitation was sent.
        if (error instanceof ConflictError) throw new InvitationInvalidError();
        throw error;
      }
    });
    await audit.record({ type: 'registration', outcome: 'success', accountId: user.id, email: user.email, ...origin, detail: { invited: true } });
    return { invited: true };
  }

  /** The queued mail for a taken address: the owner hears that someone tried to register it. */
  async function sendAttemptNotice(job: AccountMailJob): Promise<void> {
    const owner = await findUserByEmail(database, job.email);
    if (!owner) return;
    await mailer.send({
      to: owner.email,
      template: 'registration-attempt',
      data: { name: owner.name ?? undefined, signInLink: `${issuer}${ACCOUNT_PATHS.home}`, resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}` },
      locale: owner.locale,
    });
  }

  /**
   * users.prepare validates (password policy included) and hashes before anything is written, so
   * its errors come out the same for a new and a taken address and are for the form. Then one
   * transaction makes the same three writes for either (ASVS 5.0 V6.3.8): the insert that finds
   * the owner when the address is taken, the audit row, and the queued mail (the verification
   * link, or the notice to the owner), sent after the answer has left. No statement fails on a
   * taken address: a failed one costs a pooled connection, which showed in the answer time.
   */
  async function register(input: RegistrationInput, origin: RequestOrigin, invitation?: string, clientId?: string): Promise<RegistrationOutcome> {
    ensureOpen(invitation !== undefined);
    // Counted before any work, so a flood of sign-ups costs one counter write each, not a hash.
    const limit = await limiter.hit(`registration:ip:${origin.ip}`, perIp);
    if (!limit.allowed) throw new RateLimitedError('Too many accounts were created from your network.', limit.retryAfterSeconds);
    if (invitation !== undefined) return registerInvited(input, invitation, origin);
    // Hashed before the transaction opens, so no connection waits on argon2.
    const prepared = await users.prepare({ email: input.email, name: input.name, password: input.password, emailVerified: false, locale: input.locale });
    await database.transaction(async (tx) => {
      const { created, user } = await users.insertUnlessTaken(prepared, tx);
      const event = created
        ? { outcome: 'success', accountId: user?.id } as const
        : { outcome: 'failure', accountId: user?.id, detail: { reason: 'email_taken' } } as const;
      await audit.record({ type: 'registration', email: prepared.email, ...origin, ...event }, tx);
      await mailQueue.enqueue(created ? 'verification' : 'registration_attempt', prepared.email, origin, { db: tx, clientId });
    });
    return {};
  }

  return { policy, ensureOpen, isOpenToAll, invitedEmail: invitations.invitedEmail, register, sendAttemptNotice };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
