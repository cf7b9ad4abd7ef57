// The only SQL for the role catalogue (roles), groups, their members and their roles, and the
// effective roles and groups of an account: its own roles plus those of every group it is in.
import type { Queryable } from '../db.js';

export interface RoleRow {
  name: string;
  description: string;
  created_at: Date;
  /** Accounts holding the role themselves (not through a group). */
  holders: number;
  /** Groups holding the role. */
  groups: number;
}

export interface GroupRow {
  name: string;
  description: string;
  created_at: Date;
  members: number;
  roles: string[];
}

export interface EffectiveAccess {
  /** The account's own roles and its groups' roles, once each, sorted. */
  roles: string[];
  /** The groups the account is in, sorted. */
  groups: string[];
}

const BYTE_ORDER = 'COLLATE "C"';

const ROLE_COLUMNS = `r.name, r.description, r.created_at,
  (SELECT count(*)::int FROM user_roles ur WHERE ur.role = r.name) AS holders,
  (SELECT count(*)::int FROM group_roles gr WHERE gr.role = r.name) AS groups`;

export async function listRoles(db: Queryable): Promise<RoleRow[]> {
  const result = await db.query<RoleRow>(
    `SELECT ${ROLE_COLUMNS} FROM roles r ORDER BY r.name ${BYTE_ORDER}`,
  );
  return result.rows;
}

export async function findRole(db: Queryable, name: string): Promise<RoleRow | undefined> {
  const result = await db.query<RoleRow>(
    `SELECT ${ROLE_COLUMNS} FROM roles r WHERE r.name = $1`,
    [name],
  );
  return result.rows[0];
}

/** Defines the role, or changes its description when it exists; true when it was new. */
export async function upsertRole(db: Queryable, name: string, description: string | undefined): Promise<boolean> {
  const result = await db.query<{ created: boolean }>(
    `INSERT INTO roles (name, description) VALUES ($1, coalesce($2, ''))
     ON CONFLICT (name) DO UPDATE SET description = coalesce($2, roles.description)
     RETURNING (xmax = 0) AS created`,
    [name, description ?? null],
  );
  return result.rows[0]!.created;
}

/** Deletes the role, taking it from every account and group; false when there was none. */
export async function deleteRole(db: Queryable, name: string): Promise<boolean> {
  const result = await db.query('DELETE FROM roles WHERE name = $1', [name]);
  return result.rowCount > 0;
}

const GROUP_COLUMNS = `g.name, g.description, g.created_at,
  (SELECT count(*)::int FROM group_members gm WHERE gm.group_name = g.name) AS members,
  coalesce((SELECT array_agg(gr.role ORDER BY gr.role ${BYTE_ORDER}) FROM group_roles gr WHERE gr.group_name = g.name), '{}') AS roles`;

export async function listGroups(db: Queryable): Promise<GroupRow[]> {
  const result = await db.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM groups g ORDER BY g.name ${BYTE_ORDER}`);
  return result.rows;
}

export async function findGroup(db: Queryable, name: string): Promise<GroupRow | undefined> {
  const result = await db.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.name = $1`, [name]);
  return result.rows[0];
}

/** Creates the group, or changes its description when it exists; true when it was new. */
export async function upsertGroup(db: Queryable, name: string, description: string | undefined): Promise<boolean> {
  const result = await db.query<{ created: boolean }>(
    `INSERT INTO groups (name, description) VALUES ($1, coalesce($2, ''))
     ON CONFLICT (name) DO UPDATE SET description = coalesce($2, groups.description)
     RETURNING (xmax = 0) AS created`,
    [name, description ?? null],
  );
  return result.rows[0]!.created;
}

export async function deleteGroup(db: Queryable, name: string): Promise<boolean> {
  const result = await db.query('DELETE FROM groups WHERE name = $1', [name]);
  return result.rowCount > 0;
}

/** The group's members' ids and addresses, by address. */
export async function listGroupMembers(db: Queryable, group: string): Promise<{ user_id: string; email: string; added_at: Date }[]> {
  const result = await db.query<{ user_id: string; email: string; added_at: Date }>(
    `SELECT gm.user_id, u.email, gm.added_at FROM group_members gm JOIN users u ON u.id = gm.user_id
     WHERE gm.group_name = $1 ORDER BY lower(u.email) ${BYTE_ORDER}`,
    [group],
  );
  return result.rows;
}

/** True when the account was not a member yet. */
export async function addGroupMember(db: Queryable, group: string, userId: string): Promise<boolean> {
  const result = await db.query(
    'INSERT INTO group_members (group_name, user_id) VALUES ($1, $2) ON CONFLICT (group_name, user_id) DO NOTHING',
    [group, userId],
  );
  return result.rowCount > 0;
}

/** True when the account was a member. */
export async function removeGroupMember(db: Queryable, group: string, userId: string): Promise<boolean> {
  const result = await db.query('DELETE FROM group_members WHERE group_name = $1 AND user_id = $2', [group, userId]);
  return result.rowCount > 0;
}

/** Gives the group the role, defining the role if needed (as addUserRoles does); true when new. */
export async function addGroupRole(db: Queryable, group: string, role: string): Promise<boolean> {
  const result = await db.query(
    `WITH defined AS (INSERT INTO roles (name) VALUES ($2) ON CONFLICT (name) DO NOTHING)
     INSERT INTO group_roles (group_name, role) VALUES ($1, $2) ON CONFLICT (group_name, role) DO NOTHING`,
    [group, role],
  );
  return result.rowCount > 0;
}

export async function removeGroupRole(db: Queryable, group: string, role: string): Promise<boolean> {
  const result = await db.query('DELETE FROM group_roles WHERE group_name = $1 AND role = $2', [group, role]);
  return result.rowCount > 0;
}

/** The groups an account is in, sorted. */
export async function listGroupsOfUser(db: Queryable, userId: string): Promise<string[]> {
  const result = await db.query<{ group_name: string }>(
    `SELECT group_name FROM group_members WHERE user_id = $1 ORDER BY group_name ${BYTE_ORDER}`,
    [userId],
  );
  return result.rows.map((row) => row.group_name);
}

/** The account's effective roles and its groups, in one round trip. */
export async function findEffectiveAccess(db: Queryable, userId: string): Promise<EffectiveAccess> {
  const result = await db.query<{ roles: string[] | null; groups: string[] | null }>(
    `SELECT
       (SELECT array_agg(role ORDER BY role ${BYTE_ORDER}) FROM (
          SELECT role FROM user_roles WHERE user_id = $1
          UNION SELECT gr.role FROM group_members gm JOIN group_roles gr ON gr.group_name = gm.group_name WHERE gm.user_id = $1) effective) AS roles,
       (SELECT array_agg(group_name ORDER BY group_name ${BYTE_ORDER}) FROM group_members WHERE user_id = $1) AS groups`,
    [userId],
  );
  const row = result.rows[0];
  return { roles: row?.roles ?? [], groups: row?.groups ?? [] };
}

/** Of the names given, the roles and the groups that are not defined, each in the order given. */
export async function findUndefinedNames(db: Queryable, roles: readonly string[], groups: readonly string[]): Promise<{ roles: string[]; groups: string[] }> {
  if (roles.length === 0 && groups.length === 0) return { roles: [], groups: [] };
  const result = await db.query<{ roles: string[] | null; groups: string[] | null }>(
    `SELECT
       (SELECT array_agg(wanted.name) FROM unnest($1::text[]) AS wanted (name)
         WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.name = wanted.name)) AS roles,
       (SELECT array_agg(wanted.name) FROM unnest($2::text[]) AS wanted (name)
         WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.name = wanted.name)) AS groups`,
    [[...roles], [...groups]],
  );
  const row = result.rows[0];
  return { roles: row?.roles ?? [], groups: row?.groups ?? [] };
}
