// Business rules for accounts: creation, lookup, roles, and password sign-in.
import { isLocale, SUPPORTED_LOCALES, type Locale } from '../i18n/locales.js';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { isUuid } from '../uuid.js';
import { isUniqueViolation, type Database, type Queryable } from '../storage/db.js';
import { findEffectiveAccess } from '../storage/repositories/roles-and-groups.js';
import { addUserRoles, listUserRoles, removeUserRoles } from '../storage/repositories/user-roles.js';
import {
  findUserByEmail, findUserById, insertUser, insertUserUnlessEmailTaken, rehashPassword, setUserLocale, setUserStatus, updateProfile, type SignInRow, type UserRow,
} from '../storage/repositories/users.js';
import { WeakPasswordError, type PasswordPolicy } from './password-policy.js';
import type { PasswordService } from './passwords.js';

export const emailSchema = z.string().trim().max(320).pipe(z.email());

/** The role the admin API (/admin/api/*) asks of a bearer token's account. */
export const ADMIN_ROLE = 'admin';

/** A role name; the same pattern as the CHECK on user_roles.role (migration 010). */
export const roleSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a role name: use a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"`,
});

export interface RoleChange {
  add: readonly string[];
  remove: readonly string[];
}

const newUserSchema = z.object({
  email: emailSchema,
  password: z.string(),
  emailVerified: z.boolean().default(false),
  name: z.string().trim().min(1).max(200).optional(),
  givenName: z.string().trim().min(1).max(100).optional(),
  familyName: z.string().trim().min(1).max(100).optional(),
  roles: z.array(roleSchema).transform((roles) => [...new Set(roles)]).optional(),
  /** The language of the page the account was made on, for its mails. */
  locale: z.enum(SUPPORTED_LOCALES).optional(),
});

export type NewUserInput = z.input<typeof newUserSchema>;

/** A checked new account with its password already hashed (users.prepare), ready to insert. */
export type PreparedUser = Omit<z.output<typeof newUserSchema>, 'password'> & { passwordHash: string };

export const profileSchema = z.object({
  name: z.string().trim().min(1, 'Enter your name.').max(200, 'Enter a name of at most 200 characters.'),
  givenName: z.string().trim().max(100, 'Enter a first name of at most 100 characters.').nullable().transform((value) => value || null),
  familyName: z.string().trim().max(100, 'Enter a last name of at most 100 characters.').nullable().transform((value) => value || null),
});

export type ProfileInput = z.input<typeof profileSchema>;

/** Who may undo a deactivation: the person by signing in again, or only an admin. */
export type ReactivationPolicy = 'sign-in' | 'admin';

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  status: UserRow['status'];
  /** The language of the person's mails: their latest page's; null until known (English). */
  locale: Locale | null;
  createdAt: Date;
  updatedAt: Date;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified,
    name: row.name,
    givenName: row.given_name,
    familyName: row.family_name,
    status: row.status,
    locale: isLocale(row.locale) ? row.locale : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}


/** The roles, each checked and once; ValidationError naming the first bad one. */
export function parseRoles(roles: readonly string[]): string[] {
  for (const role of roles) {
    const parsed = roleSchema.safeParse(role);
    if (!parsed.success) throw new ValidationError(parsed.error.issues[0]!.message);
  }
  return [...new Set(roles)];
}

/** A checked change (see parseRoles); a role both added and removed is a ValidationError too. */
export function parseRoleChange(change: RoleChange): { add: string[]; remove: string[] } {
  const add = parseRoles(change.add);
  const remove = parseRoles(change.remove);
  const both = add.find((role) => remove.includes(role));
  if (both) throw new ValidationError(`role "${both}" cannot be both added and removed`);
  return { add, remove };
}

/** The row of the account with this address, read through `db`; undefined for no account or text that is no address. */
function rowByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const parsed = emailSchema.safeParse(email);
  return parsed.success ? findUserByEmail(db, parsed.data) : Promise.resolve(undefined);
}

/** The account an operator named by address; NotFoundError when there is none. */
async function requireRowByEmail(db: Queryable, email: string): Promise<UserRow> {
  const row = await rowByEmail(db, email);
  if (!row) throw new NotFoundError(`no user with email ${email}`);
  return row;
}

export function createUserService(deps: {
  database: Database;
  passwords: PasswordService;
  passwordPolicy: PasswordPolicy;
  reactivation?: ReactivationPolicy | undefined;
  /** accounts.defaultRoles: every new account starts with these, however it was created. */
  defaultRoles?: readonly string[] | undefined;
}) {
  const { database, passwords, passwordPolicy } = deps;
  const defaultRoles = [...new Set(deps.defaultRoles ?? [])];
  const reactivation = deps.reactivation ?? 'sign-in';

  /**
   * Checks the input (password policy included) and hashes the password: everything before the
   * insert, so a caller can do it outside its transaction. Throws ValidationError / WeakPasswordError.
   */
  async function prepareUser(input: NewUserInput): Promise<PreparedUser> {
    const parsed = newUserSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ValidationError(`${issue.path.join('.') || 'input'}: ${issue.message}`);
    }
    const problem = passwordPolicy.check(parsed.data.password, parsed.data);
    if (problem) throw new WeakPasswordError(problem);
    const { password, roles, ...fields } = parsed.data;
    const startingRoles = [...new Set([...defaultRoles, ...(roles ?? [])])];
    return { ...fields, ...(startingRoles.length > 0 ? { roles: startingRoles } : {}), passwordHash: await passwords.hash(password) };
  }

  /**
   * Inserts a prepared account and its roles (one statement) through `db`, a caller's transaction
   * if given; ConflictError when the address is taken.
   */
  async function insertPrepared(prepared: PreparedUser, db?: Queryable): Promise<User> {
    try {
      return toUser(await insertUser(db ?? database, prepared));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a user with email ${prepared.email} already exists`);
      throw error;
    }
  }

  /**
   * Inserts a prepared account and its roles through `db`, or finds the account that has the
   * address: the same statement and no error either way, so self-service registration does the
   * same work for a taken address as for a new one (ASVS 5.0 V6.3.8).
   */
  async function insertUnlessTaken(prepared: PreparedUser, db: Queryable): Promise<{ created: boolean; user: User | undefined }> {
    const { created, row } = await insertUserUnlessEmailTaken(db, prepared);
    return { created, user: row && toUser(row) };
  }

  return {
    defaultRoles,
    /** Remembers the language of the person's latest sign-in for their mails (a write only when it changed). */
    rememberLocale: (id: string, locale: Locale) => setUserLocale(database, id, locale),
    prepare: prepareUser,
    insert: insertPrepared,
    insertUnlessTaken,

    async create(input: NewUserInput): Promise<User> {
      return insertPrepared(await prepareUser(input));
    },

    /** The account's own roles, sorted; none for an unknown id. */
    async rolesOf(id: string): Promise<string[]> {
      return isUuid(id) ? listUserRoles(database, id) : [];
    },

    /** The roles the account holds itself or through its groups, sorted: what admission and policies ask. */
    async effectiveRolesOf(id: string): Promise<string[]> {
      return isUuid(id) ? (await findEffectiveAccess(database, id)).roles : [];
    },

    /**
     * Grants and takes away roles in one transaction (ValidationError for a bad name, or one both
     * added and removed; NotFoundError for an unknown address). `added` and `removed` are only
     * what changed: a role already held, or not held, is left out.
     */
    async changeRoles(email: string, change: RoleChange): Promise<{ user: User; roles: string[]; added: string[]; removed: string[] }> {
      const { add, remove } = parseRoleChange(change);
      return database.transaction(async (tx) => {
        const row = await requireRowByEmail(tx, email);
        const removed = await removeUserRoles(tx, row.id, remove);
        const added = await addUserRoles(tx, row.id, add);
        return { user: toUser(row), roles: await listUserRoles(tx, row.id), added, removed };
      });
    },

    async findById(id: string): Promise<User | undefined> {
      if (!isUuid(id)) return undefined;
      const row = await findUserById(database, id);
      return row ? toUser(row) : undefined;
    },

    /** For operators (CLI, admin), not sign-in: answers differently for unknown addresses. */
    async findByEmail(email: string): Promise<User | undefined> {
      const row = await rowByEmail(database, email);
      return row ? toUser(row) : undefined;
    },

    /** For operators: the account with this address; NotFoundError ("no user with email …") when there is none. */
    async requireByEmail(email: string): Promise<User> {
      return toUser(await requireRowByEmail(database, email));
    },

    /**
     * Checks an email and password. Unknown email and wrong password both cost one argon2
     * verification and give the same undefined, so timing does not reveal which. A disabled
     * account with the right password comes back with status 'disabled' (for the caller to refuse). A
     * deactivated account with the right password comes back active when the policy lets signing
     * in reactivate it, and with status 'deactivated' otherwise (for the caller to explain). A
     * blocked password (blockPassword) that is right comes back with passwordBlocked, and nothing
     * else happens: no rehash, no reactivation.
     * `read` is the account the login guard already read for this address (its verdict), so the
     * row is not read twice.
     */
    async authenticateWithPassword(
      email: string, password: string, read?: { account: SignInRow | undefined },
    ): Promise<(User & { reactivated?: true; passwordBlocked?: true }) | undefined> {
      const row = !emailSchema.safeParse(email).success ? undefined : read ? read.account : await rowByEmail(database, email);
      const check = await passwords.verify(row?.password_hash, password);
      if (!row || !check.valid) return undefined;
      // Said only to whoever knows the password, so it reveals nothing about the address to others.
      if (row.status === 'disabled') return toUser(row);
      if (row.password_blocked_at) return { ...toUser(row), passwordBlocked: true };
      if (check.needsRehash) await rehashPassword(database, row.id, await passwords.hash(password));
      if (row.status === 'deactivated' && reactivation === 'sign-in') {
        await setUserStatus(database, row.id, 'active');
        return { ...toUser(row), status: 'active', reactivated: true };
      }
      return toUser(row);
    },

    /** Name fields a person may edit themselves; throws ValidationError with a readable message. */
    async updateProfile(id: string, input: ProfileInput): Promise<void> {
      const parsed = profileSchema.safeParse(input);
      if (!parsed.success) throw new ValidationError(`${String(parsed.error.issues[0]!.path[0])}: ${parsed.error.issues[0]!.message}`);
      await updateProfile(database, id, parsed.data);
    },

    /** An admin's undo of a deactivation or a disable; throws NotFoundError for an unknown address. */
    async activate(email: string): Promise<User> {
      const row = await requireRowByEmail(database, email);
      await setUserStatus(database, row.id, 'active');
      return { ...toUser(row), status: 'active' };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
