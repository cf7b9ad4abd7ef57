// `gatehouse roles list|add|delete`: the catalogue of roles. A role is granted to a person with
// `users roles` and to a group with `groups add-role`; the service audits each change
// (admin.role_changed, by admin-cli).
import { parseArguments, parseFlags, printTable, type Command } from './args.js';
import { CLI_ACTOR } from './clients.js';
import { checkDescription, checkName, confirmByTyping, withRolesAndGroups } from './role-names.js';

export const NAME_RULE = 'a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"';

export const rolesListCommand: Command = {
  name: 'roles list',
  summary: 'list the roles, with how many people and groups hold each',
  help: `Usage: gatehouse roles list [--json]

Lists every role defined, its description, how many accounts hold it themselves and how many
groups hold it (their members hold it too).

Options:
  --json   print a JSON array instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { json: { type: 'boolean' } }, argv);
    const roles = await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.listRoles());
    if (flags.json) {
      const rows = roles.map((role) => ({ name: role.name, description: role.description, holders: role.holders, groups: role.groups, created_at: role.createdAt.toISOString() }));
      io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    printTable(io, ['ROLE', 'HOLDERS', 'GROUPS', 'DESCRIPTION'], roles.map((role) => [role.name, String(role.holders), String(role.groups), role.description]));
  },
};

export const rolesAddCommand: Command = {
  name: 'roles add',
  summary: 'define a role, or change its description',
  help: `Usage: gatehouse roles add <name> [--description D]

Defines the role (${NAME_RULE}). When it exists, --description replaces its description.
Granting a role that is not defined yet defines it too.

Options:
  --description D   what the role lets its holders do, at most 200 characters`,
  async run(argv, io) {
    const { values, args } = parseArguments(this, { description: { type: 'string' } } as const, argv, ['name']);
    const name = await checkName(this, 'role', args[0]!);
    const description = await checkDescription(this, values.description);
    const { role, created } = await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.defineRole({ name, description }, CLI_ACTOR));
    io.stdout(`${created ? 'defined' : 'described'} role ${role.name}${role.description ? `: ${role.description}` : ''}\n`);
  },
};

export const rolesDeleteCommand: Command = {
  name: 'roles delete',
  summary: 'delete a role, taking it from everyone and every group',
  help: `Usage: gatehouse roles delete <name> [--yes]

Deletes the role: every account and group holding it loses it, and the apps see it gone at the
next token. Asks you to type the name to confirm, unless --yes. The admin role cannot be deleted.

Options:
  --yes   do not ask (for scripts)`,
  async run(argv, io) {
    const { values, args } = parseArguments(this, { yes: { type: 'boolean' } } as const, argv, ['name']);
    const name = await checkName(this, 'role', args[0]!);
    await confirmByTyping(this, io, values.yes, name, 'every account and group holding it loses it');
    await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.deleteRole(name, CLI_ACTOR));
    io.stdout(`deleted role ${name}\n`);
  },
};
