// `gatehouse groups …`: groups of accounts that hold roles. A member holds the group's roles as
// their own (the roles claim), and the group's name is in the groups claim; apps may admit only
// the members of some groups (`clients update --required-groups`). The service audits each
// change (admin.group_changed, by admin-cli).
import type { Group } from '../services/roles-and-groups.js';
import { parseArguments, parseFlags, printTable, UsageError, type CliIo, type Command } from './args.js';
import { CLI_ACTOR } from './clients.js';
import { checkDescription, checkName, checkNameList, confirmByTyping, withRolesAndGroups } from './role-names.js';
import { NAME_RULE } from './roles.js';

function groupJson(group: Group) {
  return { name: group.name, description: group.description, roles: group.roles, member_count: group.members, created_at: group.createdAt.toISOString() };
}

function printGroup(io: CliIo, group: Group): void {
  io.stdout(`group ${group.name}${group.description ? `: ${group.description}` : ''}\n`);
  io.stdout(`roles:   ${group.roles.length > 0 ? group.roles.join(', ') : '(none)'}\n`);
}

export const groupsListCommand: Command = {
  name: 'groups list',
  summary: 'list the groups, with their roles and member counts',
  help: `Usage: gatehouse groups list [--json]

Lists every group: its roles, how many members it has, and its description.

Options:
  --json   print a JSON array instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { json: { type: 'boolean' } }, argv);
    const groups = await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.listGroups());
    if (flags.json) {
      io.stdout(`${JSON.stringify(groups.map(groupJson), null, 2)}\n`);
      return;
    }
    printTable(io, ['GROUP', 'MEMBERS', 'ROLES', 'DESCRIPTION'], groups.map((group) => [group.name, String(group.members), group.roles.join(','), group.description]));
  },
};

export const groupsShowCommand: Command = {
  name: 'groups show',
  summary: 'show a group: its roles and members',
  help: `Usage: gatehouse groups show <name> [--json]

Options:
  --json   print one JSON object (with "members": [{id, email, added_at}])`,
  async run(argv, io) {
    const { values, args } = parseArguments(this, { json: { type: 'boolean' } } as const, argv, ['name']);
    const name = await checkName(this, 'group', args[0]!);
    const found = await withRolesAndGroups(async (rolesAndGroups) => {
      const group = await rolesAndGroups.findGroup(name);
      if (!group) throw new Error(`no group named ${name}`);
      return group;
    });
    const members = found.members.map((member) => ({ id: member.userId, email: member.email, added_at: member.addedAt.toISOString() }));
    if (values.json) {
      io.stdout(`${JSON.stringify({ ...groupJson(found.group), members }, null, 2)}\n`);
      return;
    }
    printGroup(io, found.group);
    io.stdout(members.length === 0 ? 'members: (none)\n' : 'members:\n');
    for (const member of members) io.stdout(`  ${member.email}  ${member.id}\n`);
  },
};

export const groupsAddCommand: Command = {
  name: 'groups add',
  summary: 'create a group, or change its description or add roles to it',
  help: `Usage: gatehouse groups add <name> [--description D] [--roles a,b]

Creates the group (${NAME_RULE}). When it exists, --description replaces its description and
--roles are added to those it holds. A role not defined yet is defined with it.

Options:
  --description D   what the group is, at most 200 characters
  --roles a,b       roles the group holds, comma-separated`,
  async run(argv, io) {
    const { values, args } = parseArguments(this, { description: { type: 'string' }, roles: { type: 'string' } } as const, argv, ['name']);
    const name = await checkName(this, 'group', args[0]!);
    const description = await checkDescription(this, values.description);
    const roles = await checkNameList(this, 'role', values.roles);
    const { group, created } = await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.defineGroup({ name, description, roles }, CLI_ACTOR));
    io.stdout(`${created ? 'created' : 'changed'} `);
    printGroup(io, group);
  },
};

export const groupsDeleteCommand: Command = {
  name: 'groups delete',
  summary: 'delete a group; its members lose the roles it gave them',
  help: `Usage: gatehouse groups delete <name> [--yes]

Deletes the group. Its members lose the roles they held through it and leave the groups claim;
apps that require the group stop admitting them. Asks you to type the name, unless --yes.

Options:
  --yes   do not ask (for scripts)`,
  async run(argv, io) {
    const { values, args } = parseArguments(this, { yes: { type: 'boolean' } } as const, argv, ['name']);
    const name = await checkName(this, 'group', args[0]!);
    await confirmByTyping(this, io, values.yes, name, 'its members lose the roles it gave them');
    await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.deleteGroup(name, CLI_ACTOR));
    io.stdout(`deleted group ${name}\n`);
  },
};

function membershipCommand(member: boolean): Command {
  const verb = member ? 'add-member' : 'remove-member';
  return {
    name: `groups ${verb}`,
    summary: member ? 'add a person (by email address) to a group' : 'take a person (by email address) out of a group',
    help: `Usage: gatehouse groups ${verb} <group> <email>

${member ? 'Adds the account with this address to the group: it holds the group\'s roles from its next token.' : 'Takes the account with this address out of the group: it loses the roles it held through it at its next token.'}`,
    async run(argv, io) {
      const { args } = parseArguments(this, {}, argv, ['group', 'email']);
      const group = await checkName(this, 'group', args[0]!);
      const email = args[1]!;
      const { emailSchema } = await import('../services/users.js');
      if (!emailSchema.safeParse(email).success) throw new UsageError(`${this.name}: "${email}" is not a valid email address`);
      const { user, changed } = await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.setMember(group, email, member, CLI_ACTOR));
      const said = member
        ? (changed ? `added <${user.email}> to group ${group}` : `<${user.email}> was already in group ${group}`)
        : (changed ? `removed <${user.email}> from group ${group}` : `<${user.email}> was not in group ${group}`);
      io.stdout(`${said}\n`);
    },
  };
}

function groupRoleCommand(held: boolean): Command {
  const verb = held ? 'add-role' : 'remove-role';
  return {
    name: `groups ${verb}`,
    summary: held ? 'give a group a role (its members hold it)' : 'take a role away from a group',
    help: `Usage: gatehouse groups ${verb} <group> <role>

${held ? 'Gives the group the role, defining the role when it is new; every member holds it from their next token.' : 'Takes the role away from the group; members keep it only if they hold it themselves or through another group.'}`,
    async run(argv, io) {
      const { args } = parseArguments(this, {}, argv, ['group', 'role']);
      const groupName = await checkName(this, 'group', args[0]!);
      const role = await checkName(this, 'role', args[1]!);
      const { group, changed } = await withRolesAndGroups((rolesAndGroups) => rolesAndGroups.setGroupRole(groupName, role, held, CLI_ACTOR));
      if (!changed) io.stdout(`nothing changed: group ${groupName} ${held ? 'already held' : 'did not hold'} role ${role}\n`);
      printGroup(io, group);
    },
  };
}

export const groupsAddMemberCommand = membershipCommand(true);
export const groupsRemoveMemberCommand = membershipCommand(false);
export const groupsAddRoleCommand = groupRoleCommand(true);
export const groupsRemoveRoleCommand = groupRoleCommand(false);
