// The only SQL for the users table.
import type { Queryable } from '../db.js';

export interface UserRow {
  id: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  password_hash: string | null;
  status: 'active' | 'disabled' | 'deactivated';
  /** The language of the person's mails (http/locale.ts); NULL until known. */
  locale: string | null;
  /** Set when the current password may no longer sign in until a new one is set (migration 019). */
  password_blocked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewUser {
  email: string;
  emailVerified: boolean;
  name?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  passwordHash: string | null;
  /** Roles the new account starts with (accounts.defaultRoles and any given), granted in the same statement. */
  roles?: readonly string[] | undefined;
  /** The language of the page the account was made on, for its mails. */
  locale?: string | undefined;
}

function userValues(user: NewUser): unknown[] {
  return [user.email, user.emailVerified, user.name ?? null, user.givenName ?? null, user.familyName ?? null, user.passwordHash, user.locale ?? null];
}

/**
 * CTEs after `inserted` that grant the roles in $8 to the new row, defining any role the catalogue
 * lacks (see user-roles.ts): the account never exists without the roles it starts with.
 */
const GRANT_ROLES = `,
     defined AS (INSERT INTO roles (name) SELECT unnest($8::text[]) ON CONFLICT (name) DO NOTHING),
     granted AS (INSERT INTO user_roles (user_id, role) SELECT inserted.id, role FROM inserted, unnest($8::text[]) AS role
       ON CONFLICT (user_id, role) DO NOTHING)`;

export async function insertUser(db: Queryable, user: NewUser): Promise<UserRow> {
  const result = await db.query<UserRow>(
    `WITH inserted AS (
       INSERT INTO users (email, email_verified, name, given_name, family_name, password_hash, locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)${GRANT_ROLES}
     SELECT * FROM inserted`,
    [...userValues(user), [...new Set(user.roles ?? [])]],
  );
  return result.rows[0]!;
}

/** The new account's row, or the row of the account that has the address (none if it went meanwhile). */
export type InsertedOrOwner = { created: true; row: UserRow } | { created: false; row: UserRow | undefined };

/**
 * Inserts the account unless its address is taken, in one statement that returns either the new
 * row (`created`) or the owner's: no error, and one round trip either way. A conflict with an
 * account committed while this statement ran is not in its snapshot; it is read once more after.
 */
export async function insertUserUnlessEmailTaken(db: Queryable, user: NewUser): Promise<InsertedOrOwner> {
  const result = await db.query<UserRow & { created: boolean }>(
    `WITH inserted AS (
       INSERT INTO users (email, email_verified, name, given_name, family_name, password_hash, locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ((lower(email))) DO NOTHING RETURNING *)${GRANT_ROLES}
     SELECT true AS created, * FROM inserted
     UNION ALL
     SELECT false AS created, * FROM users WHERE lower(email) = lower($1) AND NOT EXISTS (SELECT 1 FROM inserted)`,
    [...userValues(user), [...new Set(user.roles ?? [])]],
  );
  const found = result.rows[0];
  if (!found) return { created: false, row: await findUserByEmail(db, user.email) };
  const { created, ...row } = found;
  return { created, row };
}

/** Remembers the language of the person's latest page; writes only when it changed. */
export async function setUserLocale(db: Queryable, id: string, locale: string): Promise<void> {
  await db.query('UPDATE users SET locale = $2 WHERE id = $1 AND locale IS DISTINCT FROM $2', [id, locale]);
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const result = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
  return result.rows[0];
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const result = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
  return result.rows[0];
}

/** A users row with what the login guard needs about the attempt's source. */
export interface SignInRow extends UserRow {
  /** The attempt comes from a browser this account has signed in from before (known_devices). */
  from_known_device: boolean;
  /** Seconds the lock of the attempt's source (source_lockouts) still runs, 0 when not locked. */
  locked_for_seconds: number;
}

/** Where an attempt comes from: its IP's source id, and the device cookie's hash and source id when it sent one. */
export interface SignInSourceIds {
  ipSourceId: string;
  deviceHash?: string | undefined;
  deviceSourceId?: string | undefined;
}

/**
 * The account a password sign-in names and the lock of the attempt's source, in one read: the
 * login guard checks the lock and the user service the password against the same row. The source
 * is the device when the account knows it, otherwise the IP (account-lockouts.ts writes locks).
 */
export async function findUserForSignIn(db: Queryable, email: string, source: SignInSourceIds): Promise<SignInRow | undefined> {
  const result = await db.query<SignInRow>(
    `WITH target AS (
       SELECT u.*, EXISTS (SELECT 1 FROM known_devices d WHERE d.user_id = u.id AND d.device_hash = $3::text) AS from_known_device
       FROM users u WHERE lower(u.email) = lower($1))
     SELECT t.*, greatest(0, coalesce(ceil(extract(epoch FROM l.locked_until - now())), 0))::int AS locked_for_seconds
     FROM target t LEFT JOIN source_lockouts l ON l.user_id = t.id
       AND l.source_id = CASE WHEN t.from_known_device THEN $4::text ELSE $2::text END`,
    [email, source.ipSourceId, source.deviceHash ?? null, source.deviceSourceId ?? null],
  );
  return result.rows[0];
}

/** A new password hash; a new password also lifts a block on the old one (blockPassword). */
export async function updatePasswordHash(db: Queryable, id: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, password_blocked_at = NULL, updated_at = now() WHERE id = $1', [id, passwordHash]);
}

/** The same password, hashed again with new parameters: keeps any block. */
export async function rehashPassword(db: Queryable, id: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]);
}

/** Stops the current password from signing in until a new one is set (updatePasswordHash lifts it). */
export async function blockPassword(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE users SET password_blocked_at = coalesce(password_blocked_at, now()), updated_at = now() WHERE id = $1', [id]);
}

export async function markEmailVerified(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1', [id]);
}

export interface ProfileFields {
  /** Required on the person's own page; an admin may clear it. */
  name: string | null;
  givenName: string | null;
  familyName: string | null;
}

export async function updateProfile(db: Queryable, id: string, profile: ProfileFields): Promise<void> {
  await db.query(
    'UPDATE users SET name = $2, given_name = $3, family_name = $4, updated_at = now() WHERE id = $1',
    [id, profile.name, profile.givenName, profile.familyName],
  );
}

/** Sets a new, confirmed address; throws a unique violation when another account has it. */
export async function updateEmail(db: Queryable, id: string, email: string): Promise<void> {
  await db.query('UPDATE users SET email = $2, email_verified = true, updated_at = now() WHERE id = $1', [id, email]);
}

/** Sets the account's status; a deactivation records when it happened. */
export async function setUserStatus(db: Queryable, id: string, status: UserRow['status']): Promise<void> {
  await db.query(
    `UPDATE users SET status = $2, deactivated_at = CASE WHEN $2::text = 'deactivated' THEN now() END, updated_at = now()
     WHERE id = $1`,
    [id, status],
  );
}

export async function deleteUser(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('DELETE FROM users WHERE id = $1', [id]);
  return result.rowCount > 0;
}
