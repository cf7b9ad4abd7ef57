// Business rules for accounts: creation, lookup, and password sign-in.
import { z } from 'zod';
import { ConflictError, ValidationError } from '../errors.js';
import { isUniqueViolation, type Database } from '../storage/db.js';
import { findUserByEmail, findUserById, insertUser, updatePasswordHash, type UserRow } from '../storage/repositories/users.js';
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

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  status: 'active' | 'disabled';
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

export function createUserService(deps: { database: Database; passwords: PasswordService; passwordPolicy: PasswordPolicy }) {
  const { database, passwords, passwordPolicy } = deps;

  return {
    async create(input: NewUserInput): Promise<User> {
      const parsed = newUserSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ValidationError(`${issue.path.join('.') || 'input'}: ${issue.message}`);
      }
      const problem = passwordPolicy.check(parsed.data.password, parsed.data);
      if (problem) throw new WeakPasswordError(problem);
      const passwordHash = await passwords.hash(parsed.data.password);
      try {
        const row = await insertUser(database, { ...parsed.data, passwordHash });
        return toUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`a user with email ${parsed.data.email} already exists`);
        throw error;
      }
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
     * one argon2 verification and give the same undefined, so timing does not reveal which.
     */
    async authenticateWithPassword(email: string, password: string): Promise<User | undefined> {
      const parsedEmail = emailSchema.safeParse(email);
      const row = parsedEmail.success ? await findUserByEmail(database, parsedEmail.data) : undefined;
      const check = await passwords.verify(row?.password_hash, password);
      if (!row || !check.valid || row.status !== 'active') return undefined;
      if (check.needsRehash) await updatePasswordHash(database, row.id, await passwords.hash(password));
      return toUser(row);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
