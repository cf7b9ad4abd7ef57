// The pattern of every command about one existing person: `--email E`, checked before anything
// is opened, then the account looked up inside a session (a one-line "no user" when it is missing).
import type { Services } from '../compose.js';
import type { User } from '../services/users.js';
import { parseFlags, requireFlag, UsageError, type Command } from './args.js';

/** The --email flag of a command whose only option it is; a usage error when missing or malformed. */
export async function parseEmailFlag(command: Command, argv: string[]): Promise<string> {
  const flags = parseFlags(command, { email: { type: 'string' } } as const, argv);
  return checkEmailFlag(command, requireFlag(command, flags.email, '--email'));
}

/** An --email value read with other flags; a usage error when it is not an email address. */
export async function checkEmailFlag(command: Command, email: string): Promise<string> {
  const { emailSchema } = await import('../services/users.js');
  if (!emailSchema.safeParse(email).success) throw new UsageError(`${command.name}: --email "${email}" is not a valid email address`);
  return email;
}

/** Runs fn with the account that has this address, inside a session. */
export async function withUserByEmail<T>(email: string, fn: (context: Services, user: User) => Promise<T>): Promise<T> {
  const { withSession } = await import('./session.js');
  return withSession(async ({ context }) => fn(context, await context.users.requireByEmail(email)));
}
