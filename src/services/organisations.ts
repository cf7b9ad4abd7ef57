// Organisations: tenants of multi-tenant apps. People are members of organisations and hold org
// roles inside each (names that mean something only there). The `organizations` claim lists a
// person's organisations; a token for one organisation carries `org_id` and `org_roles`, read
// again at every issuance so a removal or a role change reaches the next refresh. Every change is
// audited naming who made it, in the transaction that makes it: the admin API, the console (global
// admins and organisation admins) and the CLI alike.
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Database, Queryable } from '../storage/db.js';
import {
  addMember, deleteOrganisation, findMembershipRoles, findOrganisationById, findOrganisationBySlug, insertOrganisation,
  listMembers, listMembershipsOfUser, listOrganisationIdsOfUser, listOrganisationIdsWhereRole, listOrganisations, removeMember, renameOrganisation,
  replaceMemberRoles, type MemberRow, type OrganisationRow,
} from '../storage/repositories/organisations.js';
import { isUuid } from '../uuid.js';
import type { AuditDetail, AuditLog } from './audit.js';
import type { AdminActor } from './user-admin.js';
import { roleSchema, type User, type UserService } from './users.js';

/** The org role that lets a member invite people and manage org roles, without being a global admin. */
export const ORG_ADMIN_ROLE = 'admin';
const MAX_ORG_ROLES = 20;

export const organisationSlugSchema = z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a slug: use lowercase letters, digits and "-", at most 63, not starting with "-"`,
});
export const organisationNameSchema = z.string().trim().min(1, 'a name is required').max(100, 'a name has at most 100 characters');
export const orgRolesSchema = z.array(roleSchema).max(MAX_ORG_ROLES, `at most ${MAX_ORG_ROLES} org roles`)
  .transform((roles) => [...new Set(roles)].sort());

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
  members: number;
}

export interface Member {
  userId: string;
  email: string;
  addedAt: Date;
  orgRoles: string[];
}

function toOrganisation(row: OrganisationRow): Organisation {
  return { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at, members: row.members };
}

function toMember(row: MemberRow): Member {
  return { userId: row.user_id, email: row.email, addedAt: row.added_at, orgRoles: row.org_roles };
}

export function parsed<T>(schema: z.ZodType<T, unknown>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(result.error.issues[0]!.message, { fields: { [field]: result.error.issues[0]!.message } });
  return result.data;
}

/** An organisation named by id or slug, inside the transaction given. */
export async function organisationNamed(db: Queryable, reference: string): Promise<OrganisationRow | undefined> {
  if (isUuid(reference)) return findOrganisationById(db, reference.toLowerCase());
  const slug = organisationSlugSchema.safeParse(reference);
  return slug.success ? findOrganisationBySlug(db, slug.data) : undefined;
}

export function createOrganisations(deps: { database: Database; users: UserService; audit: AuditLog }) {
  const { database, users, audit } = deps;

  function record(tx: Queryable, actor: AdminActor, detail: AuditDetail, user?: User) {
    return audit.record({
      type: 'admin.organisation_changed', outcome: 'success', ...actor.origin,
      ...(user ? { accountId: user.id, email: user.email } : {}),
      detail: { ...detail, by: actor.by },
    }, tx);
  }

  async function requireOrganisation(tx: Queryable, reference: string): Promise<OrganisationRow> {
    const organisation = await organisationNamed(tx, reference);
    if (!organisation) throw new NotFoundError(`no organisation ${reference}`);
    return organisation;
  }

  async function accountNamed(reference: string): Promise<User> {
    const user = isUuid(reference) ? await users.findById(reference) : await users.findByEmail(reference);
    if (!user) throw new NotFoundError(`no user ${reference}`);
    return user;
  }

  return {
    /** Every organisation, or only those whose ids are given (an organisation admin's). */
    async list(onlyIds?: readonly string[]): Promise<Organisation[]> {
      return (await listOrganisations(database, onlyIds?.filter(isUuid))).map(toOrganisation);
    },

    /** The organisation (by id or slug) and its members; undefined when there is none. */
    async find(reference: string): Promise<{ organisation: Organisation; members: Member[] } | undefined> {
      const row = await organisationNamed(database, reference);
      if (!row) return undefined;
      return { organisation: toOrganisation(row), members: (await listMembers(database, row.id)).map(toMember) };
    },

    async create(input: { slug: unknown; name: unknown }, actor: AdminActor): Promise<Organisation> {
      const slug = parsed(organisationSlugSchema, input.slug, 'slug');
      const name = parsed(organisationNameSchema, input.name, 'name');
      return database.transaction(async (tx) => {
        const id = await insertOrganisation(tx, { slug, name });
        if (!id) throw new ConflictError(`an organisation with slug ${slug} already exists`);
        await record(tx, actor, { action: 'created', organisation: id, slug });
        return toOrganisation((await findOrganisationById(tx, id))!);
      });
    },

    async rename(reference: string, name: unknown, actor: AdminActor): Promise<Organisation> {
      const checked = parsed(organisationNameSchema, name, 'name');
      return database.transaction(async (tx) => {
        const organisation = await requireOrganisation(tx, reference);
        await renameOrganisation(tx, organisation.id, checked);
        await record(tx, actor, { action: 'renamed', organisation: organisation.id, name: checked });
        return toOrganisation((await findOrganisationById(tx, organisation.id))!);
      });
    },

    /** Deletes the organisation, its memberships and invitations; tokens for it stop refreshing. */
    async delete(reference: string, actor: AdminActor): Promise<void> {
      await database.transaction(async (tx) => {
        const organisation = await requireOrganisation(tx, reference);
        await deleteOrganisation(tx, organisation.id);
        await record(tx, actor, { action: 'deleted', organisation: organisation.id, slug: organisation.slug, members: organisation.members });
      });
    },

    /** Adds a member (by id or address) with org roles, or takes one away; `changed` is false when nothing had to change. */
    async setMember(reference: string, userReference: string, member: boolean, actor: AdminActor, orgRoles: readonly string[] = []): Promise<{ user: User; changed: boolean }> {
      const roles = parsed(orgRolesSchema, orgRoles, 'org_roles');
      const user = await accountNamed(userReference);
      return database.transaction(async (tx) => {
        const organisation = await requireOrganisation(tx, reference);
        const changed = member ? await addMember(tx, organisation.id, user.id) : await removeMember(tx, organisation.id, user.id);
        if (member && changed && roles.length > 0) await replaceMemberRoles(tx, organisation.id, user.id, roles);
        if (changed) {
          await record(tx, actor, {
            action: member ? 'member_added' : 'member_removed', organisation: organisation.id, ...(member && roles.length ? { orgRoles: roles.join(',') } : {}),
          }, user);
        }
        return { user, changed };
      });
    },

    /** Replaces a member's org roles; NotFoundError when the account is not a member. */
    async setOrgRoles(reference: string, userReference: string, orgRoles: unknown, actor: AdminActor): Promise<Member> {
      const roles = parsed(orgRolesSchema, orgRoles, 'org_roles');
      const user = await accountNamed(userReference);
      return database.transaction(async (tx) => {
        const organisation = await requireOrganisation(tx, reference);
        const before = await findMembershipRoles(tx, organisation.id, user.id);
        if (!before) throw new NotFoundError(`${user.email} is not a member of ${organisation.slug}`);
        await replaceMemberRoles(tx, organisation.id, user.id, roles);
        await record(tx, actor, { action: 'org_roles_set', organisation: organisation.id, before: before.join(','), after: roles.join(',') }, user);
        return (await listMembers(tx, organisation.id)).map(toMember).find((row) => row.userId === user.id)!;
      });
    },

    /** The account's organisations with its org roles in each, for its own account page. */
    async membershipsOf(userId: string): Promise<{ id: string; slug: string; name: string; orgRoles: string[] }[]> {
      if (!isUuid(userId)) return [];
      return (await listMembershipsOfUser(database, userId)).map((row) => ({ id: row.id, slug: row.slug, name: row.name, orgRoles: row.org_roles }));
    },

    /** The ids of the account's organisations (the `organizations` claim). */
    async organisationIdsOf(userId: string): Promise<string[]> {
      return isUuid(userId) ? listOrganisationIdsOfUser(database, userId) : [];
    },

    /** The account's org roles in the organisation; undefined when it is not a member (or either id is malformed). */
    async membershipOf(organisationId: string, userId: string): Promise<{ orgRoles: string[] } | undefined> {
      if (!isUuid(organisationId) || !isUuid(userId)) return undefined;
      const orgRoles = await findMembershipRoles(database, organisationId.toLowerCase(), userId);
      return orgRoles && { orgRoles };
    },

    /** The organisations in which the account is an organisation admin. */
    async administeredBy(userId: string): Promise<string[]> {
      return isUuid(userId) ? listOrganisationIdsWhereRole(database, userId, ORG_ADMIN_ROLE) : [];
    },
  };
}

export type Organisations = ReturnType<typeof createOrganisations>;
