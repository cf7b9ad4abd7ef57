// The SQL of the admin's user list: newest first, keyset-paged on (created_at, id), each row with
// its roles, filtered by a substring of the address or the name, the status and a role.
import type { Queryable } from '../db.js';
import type { UserRow } from './users.js';

export interface UserSearch {
  /** Matched case-insensitively anywhere in email or name; LIKE's own characters match literally. */
  term?: string | undefined;
  status?: UserRow['status'] | undefined;
  role?: string | undefined;
  /** The key of the previous page's last row: rows after it, in the list's order. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export interface UserSearchRow extends UserRow {
  roles: string[];
  /** created_at to the microsecond, in UTC: the row's key for the next page. */
  created_at_key: string;
}

function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export async function searchUsers(db: Queryable, search: UserSearch): Promise<UserSearchRow[]> {
  const result = await db.query<UserSearchRow>(
    `SELECT u.*,
       to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_key,
       coalesce((SELECT array_agg(r.role ORDER BY r.role COLLATE "C") FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles
     FROM users u
     WHERE ($1::text IS NULL OR u.email ILIKE $1 OR u.name ILIKE $1)
       AND ($2::text IS NULL OR u.status = $2)
       AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $3))
       AND ($4::timestamptz IS NULL OR (u.created_at, u.id) < ($4::timestamptz, $5::uuid))
     ORDER BY u.created_at DESC, u.id DESC
     LIMIT $6`,
    [
      search.term ? likePattern(search.term) : null, search.status ?? null, search.role ?? null,
      search.after?.createdAt ?? null, search.after?.id ?? null, search.limit,
    ],
  );
  return result.rows;
}
