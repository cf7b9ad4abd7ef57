// The only SQL for user_roles (a person's own roles; groups add more, see roles-and-groups.ts). Each write returns the roles it actually changed, so a caller can
// report (and audit) exactly that even when another writer got there first.
import type { Queryable } from '../db.js';

/** The user's roles in byte order (COLLATE "C": the same on every server whatever its locale, and as JS sort()). */
export async function listUserRoles(db: Queryable, userId: string): Promise<string[]> {
  const result = await db.query<{ role: string }>('SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role COLLATE "C"', [userId]);
  return result.rows.map((row) => row.role);
}

/**
 * Grants the roles the user does not hold yet, defining any role not yet in the catalogue (in the
 * same statement, so there is no window where the grant is refused); returns those granted, sorted.
 */
export async function addUserRoles(db: Queryable, userId: string, roles: readonly string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const result = await db.query<{ role: string }>(
    `WITH defined AS (INSERT INTO roles (name) SELECT unnest($2::text[]) ON CONFLICT (name) DO NOTHING)
     INSERT INTO user_roles (user_id, role) SELECT $1, unnest($2::text[])
     ON CONFLICT (user_id, role) DO NOTHING RETURNING role`,
    [userId, [...new Set(roles)]],
  );
  return result.rows.map((row) => row.role).sort();
}

/** Takes the roles away; returns the ones the user held, sorted. */
export async function removeUserRoles(db: Queryable, userId: string, roles: readonly string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const result = await db.query<{ role: string }>('DELETE FROM user_roles WHERE user_id = $1 AND role = ANY($2::text[]) RETURNING role', [userId, [...roles]]);
  return result.rows.map((row) => row.role).sort();
}
