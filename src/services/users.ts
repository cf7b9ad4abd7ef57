// Business rules for accounts: creation, lookup, and password sign-in.
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { isUniqueViolation, type Database, type Queryable } from '../storage/db.js';
import {
  findUserByEmail, findUserById, insertUser, setUserStatus, updatePasswordHash, updateProfile, type SignInRow, type UserRow,
} from '../storage/repositories/users.js';
import { WeakPasswordError, type PasswordPolicy } from './password-policy.js';
import type { PasswordService } from './passwords.js';

export const emailSchema = z.string().trim().max(320).pipe(z.email());

const newUserSchema = z.object({
  email: emailSchema,
  password: z.string(),
  emailVerified: z.boolean().default(false),
  name: z.string().trim().min(1).max(200).optional(),
  givenName: z.string().trim().min(1).max(100).optional(),
  familyName: z.string().trim().min(1).max(100).optional(),
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
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createUserService(deps: {
  database: Database;
  passwords: PasswordService;
  passwordPolicy: PasswordPolicy;
  reactivation?: ReactivationPolicy | undefined;
}) {
  const { database, passwords, passwordPolicy } = deps;
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
    const { password, ...fields } = parsed.data;
    return { ...fields, passwordHash: await passwords.hash(password) };
  }

  /** Inserts a prepared account through `db` (a caller's transaction, if any); ConflictError when the address is taken. */
  async function insertPrepared(prepared: PreparedUser, db: Queryable = database): Promise<User> {
    try {
      return toUser(await insertUser(db, prepared));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a user with email ${prepared.email} already exists`);
      throw error;
    }
  }

  return {
    prepare: prepareUser,
    insert: insertPrepared,

    async create(input: NewUserInput): Promise<User> {
      return insertPrepared(await prepareUser(input));
    },

    async findById(id: string): Promise<User | undefined> {
      if (!UUID.test(id)) return undefined;
      const row = await findUserById(database, id);
      return row ? toUser(row) : undefined;
    },

    /** For operators (CLI, admin), not sign-in: answers differently for unknown addresses. */
    async findByEmail(email: string): Promise<User | undefined> {
      const parsed = emailSchema.safeParse(email);
      const row = parsed.success ? await findUserByEmail(database, parsed.data) : undefined;
      return row ? toUser(row) : undefined;
    },

    /**
     * Checks an email and password. Unknown email, disabled account and wrong password all cost
     * one argon2 verification and give the same undefined, so timing does not reveal which. A
     * deactivated account with the right password comes back active when the policy lets signing
     * in reactivate it, and with status 'deactivated' otherwise (for the caller to explain).
     * `read` is the account the login guard already read for this address (its verdict), so the
     * row is not read twice.
     */
    async authenticateWithPassword(
      email: string, password: string, read?: { account: SignInRow | undefined },
    ): Promise<(User & { reactivated?: true }) | undefined> {
      const parsedEmail = emailSchema.safeParse(email);
      const row = !parsedEmail.success ? undefined : read ? read.account : await findUserByEmail(database, parsedEmail.data);
      const check = await passwords.verify(row?.password_hash, password);
      if (!row || !check.valid || row.status === 'disabled') return undefined;
      if (check.needsRehash) await updatePasswordHash(database, row.id, await passwords.hash(password));
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
      const parsed = emailSchema.safeParse(email);
      const row = parsed.success ? await findUserByEmail(database, parsed.data) : undefined;
      if (!row) throw new NotFoundError(`no user with email ${email}`);
      await setUserStatus(database, row.id, 'active');
      return { ...toUser(row), status: 'active' };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
