// What an admin reads about people: the list (search, filters, pages) and one person in full
// (roles, two-factor, lockouts). Changes are in user-admin.ts.
import { isLocale } from '../i18n/locales.js';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { isUuid } from '../uuid.js';
import type { Database } from '../storage/db.js';
import { findRunningLocks } from '../storage/repositories/account-lockouts.js';
import { searchUsers, type UserSearchRow } from '../storage/repositories/user-search.js';
import { countTwoFactor } from '../storage/repositories/two-factor.js';
import { findUserById } from '../storage/repositories/users.js';
import { roleSchema, type User, type UserService } from './users.js';

export const USER_STATUSES = ['active', 'disabled', 'deactivated'] as const;
export const MAX_USER_PAGE = 200;
export const DEFAULT_USER_PAGE = 50;

// A page's key: the last row's created_at to the microsecond and its id, base64url-encoded so
// that callers treat it as opaque.
const CURSOR_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)_([0-9a-f-]{36})$/;

export const userListSchema = z.object({
  search: z.string().trim().min(1, 'enter at least one character').max(200, 'at most 200 characters').optional(),
  status: z.enum(USER_STATUSES).optional(),
  role: roleSchema.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_USER_PAGE).default(DEFAULT_USER_PAGE),
});

export type UserListQuery = z.input<typeof userListSchema>;

export interface ListedUser extends User {
  roles: string[];
}

export interface UserPage {
  users: ListedUser[];
  /** Pass as `cursor` for the next page; undefined on the last one. */
  next: string | undefined;
}

export interface UserDetail extends ListedUser {
  twoFactor: { enrolled: boolean; backupCodesLeft: number; trustedDevices: number };
  lockout: { locked: boolean; sources: number; lockedUntil: Date | null };
  /** When "this wasn't me" or an undone email change blocked the password; null when it signs in. */
  passwordBlockedAt: Date | null;
}

function encodeCursor(row: UserSearchRow): string {
  return Buffer.from(`${row.created_at_key}_${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const match = CURSOR_KEY.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match || !isUuid(match[2]!)) throw new ValidationError('cursor: not a cursor this list gave', { fields: { cursor: 'not a cursor this list gave' } });
  return { createdAt: match[1]!, id: match[2]! };
}

function toListedUser(row: UserSearchRow): ListedUser {
  return {
    id: row.id, email: row.email, emailVerified: row.email_verified, name: row.name, givenName: row.given_name,
    familyName: row.family_name, status: row.status, locale: isLocale(row.locale) ? row.locale : null,
    createdAt: row.created_at, updatedAt: row.updated_at, roles: row.roles,
  };
}

export function createUserDirectory(deps: { database: Database; users: UserService }) {
  const { database, users } = deps;

  /** One page, newest first; ValidationError (with `fields`) for a bad filter or a cursor this list did not give. */
  async function list(query: UserListQuery): Promise<UserPage> {
    const parsed = userListSchema.safeParse(query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = String(issue.path[0] ?? 'query');
      throw new ValidationError(`${field}: ${issue.message}`, { fields: { [field]: issue.message } });
    }
    const { search, status, role, cursor, limit } = parsed.data;
    const rows = await searchUsers(database, { term: search, status, role, after: cursor ? decodeCursor(cursor) : undefined, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { users: page.map(toListedUser), next: rows.length > limit ? encodeCursor(page[page.length - 1]!) : undefined };
  }

  /** The account with this id; NotFoundError for an unknown one (or text that is no id). */
  async function require(id: string): Promise<User> {
    const user = await users.findById(id);
    if (!user) throw new NotFoundError(`no user with id ${id.slice(0, 64)}`);
    return user;
  }

  async function show(id: string): Promise<UserDetail> {
    const user = await require(id);
    const [roles, twoFactor, locks, row] = await Promise.all([
      users.rolesOf(user.id), countTwoFactor(database, user.id), findRunningLocks(database, user.id), findUserById(database, user.id),
    ]);
    return { ...user, roles, twoFactor, lockout: { locked: locks.sources > 0, ...locks }, passwordBlockedAt: row?.password_blocked_at ?? null };
  }

  return { list, require, show };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
