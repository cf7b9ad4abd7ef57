// Roles and groups: the catalogue of roles an admin defines, groups of accounts that hold roles,
// and the effective roles and groups of an account (its own roles plus its groups'), which the
// `roles` and `groups` claims and per-app access read. Each change is audited naming the admin,
// in the transaction that makes it, for the admin API, the console and the CLI alike.
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Database, Queryable } from '../storage/db.js';
import {
  addGroupMember, addGroupRole, deleteGroup, deleteRole, findEffectiveAccess, findGroup, findRole, listGroupMembers,
  listGroups, listRoles, removeGroupMember, removeGroupRole, upsertGroup, upsertRole,
  type EffectiveAccess, type GroupRow, type RoleRow,
} from '../storage/repositories/roles-and-groups.js';
import type { AuditDetail, AuditLog } from './audit.js';
import type { AdminActor } from './user-admin.js';
import { isUuid } from '../uuid.js';
import { ADMIN_ROLE, roleSchema, type User, type UserService } from './users.js';

export type { EffectiveAccess } from '../storage/repositories/roles-and-groups.js';

/** A group name: the same shape as a role name, so it is always a safe claim value. */
export const groupNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a group name: use a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"`,
});

export const descriptionSchema = z.string().trim().max(200, 'a description has at most 200 characters');

export interface Role {
  name: string;
  description: string;
  createdAt: Date;
  /** Accounts that hold the role themselves. */
  holders: number;
  /** Groups that hold the role. */
  groups: number;
}

export interface Group {
  name: string;
  description: string;
  createdAt: Date;
  members: number;
  roles: string[];
}

export interface GroupMember {
  userId: string;
  email: string;
  addedAt: Date;
}

function toRole(row: RoleRow): Role {
  return { name: row.name, description: row.description, createdAt: row.created_at, holders: row.holders, groups: row.groups };
}

function toGroup(row: GroupRow): Group {
  return { name: row.name, description: row.description, createdAt: row.created_at, members: row.members, roles: row.roles };
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(result.error.issues[0]!.message, { fields: { [field]: result.error.issues[0]!.message } });
  return result.data;
}

export function createRolesAndGroups(deps: { database: Database; users: UserService; audit: AuditLog }) {
  const { database, users, audit } = deps;

  function record(tx: Queryable, type: 'admin.role_changed' | 'admin.group_changed', actor: AdminActor, detail: AuditDetail, user?: User) {
    return audit.record({
      type, outcome: 'success', ...actor.origin,
      ...(user ? { accountId: user.id, email: user.email } : {}),
      detail: { ...detail, by: actor.by },
    }, tx);
  }

  /** An account named by id or address; NotFoundError when there is none. */
  async function accountNamed(reference: string): Promise<User> {
    const user = isUuid(reference) ? await users.findById(reference) : await users.findByEmail(reference);
    if (!user) throw new NotFoundError(`no user ${reference}`);
    return user;
  }

  /**
   * Run after a change that may take roles away, inside its transaction: an admin (not the command
   * line) who would no longer hold the admin role themselves or through a group is refused, and the
   * change rolled back, as userAdmin refuses taking away one's own role.
   */
  async function refuseSelfLockout(tx: Queryable, actor: AdminActor): Promise<void> {
    if (actor.accountId === undefined) return;
    if ((await findEffectiveAccess(tx, actor.accountId)).roles.includes(ADMIN_ROLE)) return;
    throw new ConflictError('This would take away your own admin role; ask another admin, or use the gatehouse command.');
  }

  async function requireGroup(tx: Queryable, name: string): Promise<GroupRow> {
    const group = await findGroup(tx, name);
    if (!group) throw new NotFoundError(`no group named ${name}`);
    return group;
  }

  return {
    async listRoles(): Promise<Role[]> {
      return (await listRoles(database)).map(toRole);
    },

    async findRole(name: string): Promise<Role | undefined> {
      const checked = roleSchema.safeParse(name);
      if (!checked.success) return undefined;
      const row = await findRole(database, checked.data);
      return row && toRole(row);
    },

    /** Defines a role, or changes its description; `created` says which. */
    async defineRole(input: { name: string; description?: string | undefined }, actor: AdminActor): Promise<{ role: Role; created: boolean }> {
      const name = parsed(roleSchema, input.name, 'name');
      const description = input.description === undefined ? undefined : parsed(descriptionSchema, input.description, 'description');
      return database.transaction(async (tx) => {
        const created = await upsertRole(tx, name, description);
        await record(tx, 'admin.role_changed', actor, { action: created ? 'defined' : 'described', role: name });
        return { role: toRole((await findRole(tx, name))!), created };
      });
    },

    /** Deletes a role, taking it from everyone and every group. The admin role stays: it admits admins. */
    async deleteRole(name: string, actor: AdminActor): Promise<void> {
      const checked = parsed(roleSchema, name, 'name');
      if (checked === ADMIN_ROLE) throw new ConflictError('The admin role cannot be deleted: it is what lets admins in.');
      await database.transaction(async (tx) => {
        const role = await findRole(tx, checked);
        if (!role) throw new NotFoundError(`no role named ${checked}`);
        await deleteRole(tx, checked);
        await record(tx, 'admin.role_changed', actor, { action: 'deleted', role: checked, holders: role.holders, groups: role.groups });
      });
    },

    async listGroups(): Promise<Group[]> {
      return (await listGroups(database)).map(toGroup);
    },

    /** The group and its members; undefined when there is none. */
    async findGroup(name: string): Promise<{ group: Group; members: GroupMember[] } | undefined> {
      const checked = groupNameSchema.safeParse(name);
      if (!checked.success) return undefined;
      const row = await findGroup(database, checked.data);
      if (!row) return undefined;
      const members = await listGroupMembers(database, row.name);
      return { group: toGroup(row), members: members.map((member) => ({ userId: member.user_id, email: member.email, addedAt: member.added_at })) };
    },

    async defineGroup(input: { name: string; description?: string | undefined; roles?: readonly string[] | undefined }, actor: AdminActor): Promise<{ group: Group; created: boolean }> {
      const name = parsed(groupNameSchema, input.name, 'name');
      const description = input.description === undefined ? undefined : parsed(descriptionSchema, input.description, 'description');
      const roles = (input.roles ?? []).map((role) => parsed(roleSchema, role, 'roles'));
      return database.transaction(async (tx) => {
        const created = await upsertGroup(tx, name, description);
        for (const role of roles) await addGroupRole(tx, name, role);
        await record(tx, 'admin.group_changed', actor, { action: created ? 'created' : 'described', group: name, ...(roles.length ? { rolesAdded: roles.join(',') } : {}) });
        return { group: toGroup((await findGroup(tx, name))!), created };
      });
    },

    async deleteGroup(name: string, actor: AdminActor): Promise<void> {
      const checked = parsed(groupNameSchema, name, 'name');
      await database.transaction(async (tx) => {
        const group = await requireGroup(tx, checked);
        await deleteGroup(tx, checked);
        await refuseSelfLockout(tx, actor);
        await record(tx, 'admin.group_changed', actor, { action: 'deleted', group: checked, members: group.members });
      });
    },

    /** Adds or takes away a member (by id or address); `changed` is false when nothing had to change. */
    async setMember(groupName: string, reference: string, member: boolean, actor: AdminActor): Promise<{ user: User; changed: boolean }> {
      const group = parsed(groupNameSchema, groupName, 'group');
      const user = await accountNamed(reference);
      return database.transaction(async (tx) => {
        await requireGroup(tx, group);
        const changed = member ? await addGroupMember(tx, group, user.id) : await removeGroupMember(tx, group, user.id);
        if (changed && !member) await refuseSelfLockout(tx, actor);
        if (changed) await record(tx, 'admin.group_changed', actor, { action: member ? 'member_added' : 'member_removed', group }, user);
        return { user, changed };
      });
    },

    /** Gives the group a role (defining it when new) or takes it away; `changed` as above. */
    async setGroupRole(groupName: string, roleName: string, held: boolean, actor: AdminActor): Promise<{ group: Group; changed: boolean }> {
      const group = parsed(groupNameSchema, groupName, 'group');
      const role = parsed(roleSchema, roleName, 'role');
      return database.transaction(async (tx) => {
        await requireGroup(tx, group);
        const changed = held ? await addGroupRole(tx, group, role) : await removeGroupRole(tx, group, role);
        if (changed && !held) await refuseSelfLockout(tx, actor);
        if (changed) await record(tx, 'admin.group_changed', actor, { action: held ? 'role_added' : 'role_removed', group, role });
        return { group: toGroup((await findGroup(tx, group))!), changed };
      });
    },

    /** The account's own roles plus its groups', and its groups; nothing for an unknown id. */
    async effectiveAccessOf(userId: string): Promise<EffectiveAccess> {
      return isUuid(userId) ? findEffectiveAccess(database, userId) : { roles: [], groups: [] };
    },
  };
}

export type RolesAndGroups = ReturnType<typeof createRolesAndGroups>;
