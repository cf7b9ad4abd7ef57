// Invitations (registration.policy "invite-only"): an admin invites an address; the mailed link
// lets that address register once, already verified (following the link proved the mailbox).
import { ACCOUNT_PATHS } from '../paths.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { Database, Queryable } from '../storage/db.js';
import { consumeInvitation, findLiveInvitationEmail, insertInvitation } from '../storage/repositories/invitations.js';
import { findUserByEmail } from '../storage/repositories/users.js';
import type { Mailer } from './email.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';
import { emailSchema } from './users.js';


export function createInvitationService(deps: { database: Database; mailer: Mailer; issuer: string; ttlSeconds: number }) {
  const { database, mailer, issuer, ttlSeconds } = deps;
  const expiresInDays = Math.max(1, Math.round(ttlSeconds / 86400));

  /**
   * Stores an invitation and mails its link. Throws ValidationError for a malformed address,
   * ConflictError when the address already has an account, MailDeliveryError when the mail
   * cannot be sent (the invitation row stays unused until it expires).
   */
  async function invite(email: string, invitedBy?: string): Promise<{ expiresAt: Date }> {
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success) throw new ValidationError(`"${email}" is not a valid email address`);
    if (await findUserByEmail(database, parsed.data)) throw new ConflictError(`a user with email ${parsed.data} already exists`);
    const { token, tokenHash } = newLinkToken();
    await insertInvitation(database, { email: parsed.data, tokenHash, ttlSeconds });
    await mailer.send({
      to: parsed.data,
      template: 'invitation',
      data: { link: `${issuer}${ACCOUNT_PATHS.register}?invitation=${token}`, expiresInDays, ...(invitedBy ? { invitedBy } : {}) },
    });
    return { expiresAt: new Date(Date.now() + ttlSeconds * 1000) };
  }

  /** The invited address, when the token is a live invitation (for showing the form). */
  async function invitedEmail(token: string): Promise<string | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    return findLiveInvitationEmail(database, hashToken(token));
  }

  /** Spends the invitation inside the caller's transaction; the invited address, or undefined. */
  async function spend(token: string, tx: Queryable): Promise<string | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    return consumeInvitation(tx, hashToken(token));
  }

  return { invite, invitedEmail, spend };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
