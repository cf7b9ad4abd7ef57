// Self-service sign-up (issue 4). The answer is the same whether or not the address is taken
// (ASVS 5.0 V6.3.8): a new address gets an account and a verification link, a taken one gets a
// "someone tried to register" mail to its owner, and both cost the same argon2 hash.
import { ACCOUNT_PATHS } from '../paths.js';
import { AppError, ConflictError, MailDeliveryError, NotFoundError, RateLimitedError } from '../errors.js';
import type { Database } from '../storage/db.js';
import { findUserByEmail, type UserRow } from '../storage/repositories/users.js';
import type { AuditLog, RequestOrigin } from './audit.js';
import type { Mailer } from './email.js';
import type { EmailVerificationService } from './email-verification.js';
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
}

/**
 * mailSent false: the account (if new) is kept, but the mail could not be handed over; resend
 * later. invited: the account was made from an invitation and is ready to sign in.
 */
export interface RegistrationOutcome {
  mailSent: boolean;
  invited?: boolean;
}

export function createRegistrationService(deps: {
  database: Database;
  users: UserService;
  emailVerification: EmailVerificationService;
  mailer: Mailer;
  audit: AuditLog;
  invitations: InvitationService;
  limiter: RateLimiter;
  /** Registrations per IP, known address or not (rateLimits.registrationPerIp). */
  perIp: RateLimit;
  issuer: string;
  policy: RegistrationPolicy;
}) {
  const { database, users, emailVerification, mailer, audit, invitations, limiter, perIp, issuer, policy } = deps;

  /** Whether the form may be shown at all; an invitation opens an invite-only server. */
  function ensureOpen(withInvitation = false): void {
    if (policy === 'off') throw new RegistrationClosedError();
    if (policy === 'invite-only' && !withInvitation) throw new InvitationRequiredError();
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
    const prepared = await users.prepare({ email: invitedEmail, name: input.name, password: input.password, emailVerified: true });
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
    return { mailSent: true, invited: true };
  }

  async function notifyOwner(owner: UserRow): Promise<void> {
    await mailer.send({
      to: owner.email,
      template: 'registration-attempt',
      data: { name: owner.name ?? undefined, signInLink: `${issuer}${ACCOUNT_PATHS.home}`, resetLink: `${issuer}${ACCOUNT_PATHS.forgotPassword}` },
    });
  }

  /**
   * users.create validates (password policy included) and hashes before it inserts, so a taken
   * address fails with ConflictError only after the same argon2 work as a new one. Validation
   * errors come out the same for both and are for the form.
   */
  async function register(input: RegistrationInput, origin: RequestOrigin, invitation?: string): Promise<RegistrationOutcome> {
    ensureOpen(invitation !== undefined);
    // Counted before any work, so a flood of sign-ups costs one counter write each, not a hash.
    const limit = await limiter.hit(`registration:ip:${origin.ip}`, perIp);
    if (!limit.allowed) throw new RateLimitedError('Too many accounts were created from your network.', limit.retryAfterSeconds);
    if (invitation !== undefined) return registerInvited(input, invitation, origin);
    try {
      let user;
      try {
        user = await users.create({ email: input.email, name: input.name, password: input.password, emailVerified: false });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const owner = await findUserByEmail(database, input.email);
        await audit.record({ type: 'registration', outcome: 'failure', accountId: owner?.id, email: input.email, ...origin, detail: { reason: 'email_taken' } });
        if (owner) await notifyOwner(owner);
        return { mailSent: true };
      }
      await audit.record({ type: 'registration', outcome: 'success', accountId: user.id, email: user.email, ...origin });
      await emailVerification.sendVerification(user);
      return { mailSent: true };
    } catch (error) {
      if (error instanceof MailDeliveryError) return { mailSent: false };
      throw error;
    }
  }

  return { policy, ensureOpen, invitedEmail: invitations.invitedEmail, register };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
