// Self-service sign-up (issue 4). The answer is the same whether or not the address is taken
// (ASVS 5.0 V6.3.8): a new address gets an account and a verification link, a taken one gets a
// "someone tried to register" mail to its owner, and both cost the same argon2 hash.
import { AppError, ConflictError, MailDeliveryError, NotFoundError } from '../errors.js';
import type { Database } from '../storage/db.js';
import { findUserByEmail } from '../storage/repositories/users.js';
import type { Mailer } from './email.js';
import type { EmailVerificationService } from './email-verification.js';
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

export interface RegistrationInput {
  email: string;
  name: string;
  password: string;
}

/** mailSent false: the account (if new) is kept, but the mail could not be handed over; resend later. */
export interface RegistrationOutcome {
  mailSent: boolean;
}

export function createRegistrationService(deps: {
  database: Database;
  users: UserService;
  emailVerification: EmailVerificationService;
  mailer: Mailer;
  issuer: string;
  policy: RegistrationPolicy;
}) {
  const { database, users, emailVerification, mailer, issuer, policy } = deps;

  function ensureOpen(): void {
    if (policy === 'off') throw new RegistrationClosedError();
    if (policy === 'invite-only') throw new InvitationRequiredError();
  }

  async function notifyOwner(email: string): Promise<void> {
    const owner = await findUserByEmail(database, email);
    if (!owner) return;
    await mailer.send({
      to: owner.email,
      template: 'registration-attempt',
      data: { name: owner.name ?? undefined, signInLink: `${issuer}/account`, resetLink: `${issuer}/account/forgot-password` },
    });
  }

  /**
   * users.create validates (password policy included) and hashes before it inserts, so a taken
   * address fails with ConflictError only after the same argon2 work as a new one. Validation
   * errors come out the same for both and are for the form.
   */
  async function register(input: RegistrationInput): Promise<RegistrationOutcome> {
    ensureOpen();
    try {
      let user;
      try {
        user = await users.create({ email: input.email, name: input.name, password: input.password, emailVerified: false });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        await notifyOwner(input.email);
        return { mailSent: true };
      }
      await emailVerification.sendVerification(user);
      return { mailSent: true };
    } catch (error) {
      if (error instanceof MailDeliveryError) return { mailSent: false };
      throw error;
    }
  }

  return { policy, ensureOpen, register };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
