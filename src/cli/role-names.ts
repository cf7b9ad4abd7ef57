// What the roles, groups and clients commands share about role and group names: checked on the
// command line before anything is opened (exit 2, nothing written), comma lists for flags, a
// deletion confirmed by typing the name, and the roles-and-groups service inside a session.
import type { RolesAndGroups } from '../services/roles-and-groups.js';
import { readFirstLine, UsageError, type CliIo, type Command } from './args.js';

export type NameKind = 'role' | 'group';

/** A role or group name, checked as the service checks it; a usage error saying what a name looks like. */
export async function checkName(command: Command, kind: NameKind, value: string): Promise<string> {
  const schema = kind === 'role' ? (await import('../services/users.js')).roleSchema : (await import('../services/roles-and-groups.js')).groupNameSchema;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${command.name}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** A flag's comma-separated names (`a,b`), each checked, each once; '' is the empty list. */
export async function checkNameList(command: Command, kind: NameKind, value: string | undefined): Promise<string[] | undefined> {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const checked: string[] = [];
  for (const name of names) checked.push(await checkName(command, kind, name));
  return [...new Set(checked)];
}

/** Unless --yes, the name must be typed back before something that cannot be undone. */
export async function confirmByTyping(command: Command, io: CliIo, yes: boolean | undefined, name: string, consequence: string): Promise<void> {
  if (yes) return;
  io.stderr(`Type the name (${name}) to delete it; ${consequence}: `);
  const typed = (await readFirstLine(io.stdin)).trim();
  if (typed !== name) throw new UsageError(`${command.name}: what was typed is not ${name}; nothing was deleted (use --yes in scripts)`);
}

export async function withRolesAndGroups<T>(work: (rolesAndGroups: RolesAndGroups) => Promise<T>): Promise<T> {
  const { withSession } = await import('./session.js');
  return withSession(({ context }) => work(context.rolesAndGroups));
}

/** A --description, checked as the service checks it (at most 200 characters). */
export async function checkDescription(command: Command, value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const parsed = (await import('../services/roles-and-groups.js')).descriptionSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${command.name}: --description: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
