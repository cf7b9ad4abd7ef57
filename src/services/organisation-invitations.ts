// Invitations into an organisation by email: a global admin or an organisation admin invites an
// address with the org roles it will hold; the mailed link, followed by the person signed in with
// that address (after registering if they have no account yet), makes them a member. As for the
// other emailed links only the token's hash is stored, it expires, and it is spent once.
import { ACCOUNT_PATHS } from '../paths.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { hashToken, isWellFormedToken, newLinkToken } from '../crypto/tokens.js';
import type { Database } from '../storage/db.js';
import {
  acceptOrganisationInvitation, addMember, findLiveOrganisationInvitation, findMembershipRoles, findOrganisationById,
  insertOrganisationInvitation, listOpenInvitations, replaceMemberRoles, revokeOrganisationInvitation, type InvitationRow,
} from '../storage/repositories/organisations.js';
import type { AuditLog } from './audit.js';
import type { Mailer } from './email.js';
import { organisationNamed, orgRolesSchema, parsed } from './organisations.js';
import type { AdminActor } from './user-admin.js';
import { emailSchema, type User } from './users.js';

export interface OrganisationInvitation {
  id: string;
  organisationId: string;
  email: string;
  orgRoles: string[];
  expiresAt: Date;
  createdAt: Date;
}

function toInvitation(row: InvitationRow): OrganisationInvitation {
  return { id: row.id, organisationId: row.organisation_id, email: row.email, orgRoles: row.org_roles, expiresAt: row.expires_at, createdAt: row.created_at };
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function createOrganisationInvitations(deps: { database: Database; mailer: Mailer; audit: AuditLog; issuer: string; ttlSeconds: number }) {
  const { database, mailer, audit, issuer, ttlSeconds } = deps;
  const expiresInDays = Math.max(1, Math.round(ttlSeconds / 86400));

  async function requireOrganisation(reference: string) {
    const organisation = await organisationNamed(database, reference);
    if (!organisation) throw new NotFoundError(`no organisation ${reference}`);
    return organisation;
  }

  return {
    /**
     * Stores the invitation and mails its link. The row and its audit entry are written first:
     * if the mail fails (MailDeliveryError) the unused invitation simply expires.
     */
    async invite(reference: string, input: { email: unknown; orgRoles?: unknown }, actor: AdminActor): Promise<OrganisationInvitation> {
      const email = parsed(emailSchema, input.email, 'email');
      const orgRoles = parsed(orgRolesSchema, input.orgRoles ?? [], 'org_roles');
      const organisation = await requireOrganisation(reference);
      const { token, tokenHash } = newLinkToken();
      const row = await database.transaction(async (tx) => {
        const inserted = await insertOrganisationInvitation(tx, {
          organisationId: organisation.id, email, orgRoles, tokenHash, invitedBy: actor.accountId ?? null, ttlSeconds,
        });
        await audit.record({
          type: 'admin.organisation_changed', outcome: 'success', ...actor.origin, email,
          detail: { action: 'invited', organisation: organisation.id, invitation: inserted.id, orgRoles: orgRoles.join(','), by: actor.by },
        }, tx);
        return inserted;
      });
      await mailer.send({
        to: email,
        template: 'organisation-invitation',
        data: { link: `${issuer}${ACCOUNT_PATHS.joinOrganisation}?token=${token}`, organisation: organisation.name, expiresInDays },
      });
      return toInvitation(row);
    },

    async listOpen(reference: string): Promise<OrganisationInvitation[]> {
      return (await listOpenInvitations(database, (await requireOrganisation(reference)).id)).map(toInvitation);
    },

    async revoke(reference: string, invitationId: string, actor: AdminActor): Promise<void> {
      const organisation = await requireOrganisation(reference);
      await database.transaction(async (tx) => {
        const row = /^[0-9a-f-]{36}$/i.test(invitationId) ? await revokeOrganisationInvitation(tx, organisation.id, invitationId) : undefined;
        if (!row) throw new NotFoundError(`no open invitation ${invitationId} in ${organisation.slug}`);
        await audit.record({
          type: 'admin.organisation_changed', outcome: 'success', ...actor.origin, email: row.email,
          detail: { action: 'invitation_revoked', organisation: organisation.id, invitation: row.id, by: actor.by },
        }, tx);
      });
    },

    /** What a live invitation is for, to show before it is accepted; undefined for a dead or unknown link. */
    async describe(token: string): Promise<{ organisationName: string; email: string } | undefined> {
      if (!isWellFormedToken(token)) return undefined;
      const row = await findLiveOrganisationInvitation(database, hashToken(token));
      const organisation = row && await findOrganisationById(database, row.organisation_id);
      return row && organisation ? { organisationName: organisation.name, email: row.email } : undefined;
    },

    /**
     * Spends the invitation and makes the person a member with its org roles (added to any they
     * hold already), in one transaction. Only the invited address may accept: a forwarded link
     * does not let someone else in.
     */
    async accept(token: string, user: User, origin: AdminActor['origin']): Promise<{ organisationId: string; organisationName: string }> {
      if (!isWellFormedToken(token)) throw new NotFoundError('This invitation link is not valid or has expired.');
      const tokenHash = hashToken(token);
      const live = await findLiveOrganisationInvitation(database, tokenHash);
      if (!live) throw new NotFoundError('This invitation link is not valid or has expired.');
      if (!sameAddress(live.email, user.email)) {
        throw new ValidationError(`This invitation is for ${live.email}; you are signed in as ${user.email}.`);
      }
      return database.transaction(async (tx) => {
        const row = await acceptOrganisationInvitation(tx, tokenHash, user.id);
        if (!row) throw new ConflictError('This invitation has already been used.');
        await addMember(tx, row.organisation_id, user.id);
        const held = await findMembershipRoles(tx, row.organisation_id, user.id) ?? [];
        await replaceMemberRoles(tx, row.organisation_id, user.id, [...new Set([...held, ...row.org_roles])].sort());
        await audit.record({
          type: 'organisation.invitation_accepted', outcome: 'success', ...origin, accountId: user.id, email: user.email,
          detail: { organisation: row.organisation_id, invitation: row.id, orgRoles: row.org_roles.join(',') },
        }, tx);
        const organisation = await findOrganisationById(tx, row.organisation_id);
        return { organisationId: row.organisation_id, organisationName: organisation?.name ?? '' };
      });
    },
  };
}

export type OrganisationInvitations = ReturnType<typeof createOrganisationInvitations>;
