// `gatehouse orgs …`: organisations, their members and org roles, and invitations, through the
// same services as the admin API (services/organisations.ts, organisation-invitations.ts). Every
// value is checked before the database is opened; each change is audited as by admin-cli.
import { checkInput, parseFlags, printTable, requireFlag, UsageError, type CliIo, type Command } from './args.js';
import { checkEmailFlag } from './user-by-email.js';

const BY_CLI = { by: 'admin-cli' };
const ORG_HELP = '  --org O          the organisation\'s id or slug (required)';

async function withServices<T>(fn: (context: import('../compose.js').Services) => Promise<T>): Promise<T> {
  const { withSession } = await import('./session.js');
  return withSession(({ context }) => fn(context));
}

async function checkRoles(command: Command, roles: string[] | undefined): Promise<string[]> {
  const { orgRolesSchema, parsed } = await import('../services/organisations.js');
  return checkInput(command, () => parsed(orgRolesSchema, roles ?? [], '--role'));
}

function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

const orgFlag = { org: { type: 'string' } } as const;
const memberFlags = { ...orgFlag, email: { type: 'string' }, role: { type: 'string', multiple: true } } as const;

export const orgsListCommand: Command = {
  name: 'orgs list',
  summary: 'list organisations',
  help: `Usage: gatehouse orgs list [--json]

Lists every organisation: id, slug, name and number of members.

Options:
  --json   print a JSON array instead of a table`,
  async run(argv, io) {
    const flags = parseFlags(this, { json: { type: 'boolean' } } as const, argv);
    const organisations = await withServices((context) => context.organisations.list());
    if (flags.json) return printJson(io, organisations);
    if (organisations.length === 0) return io.stdout('no organisations\n');
    printTable(io, ['ID', 'SLUG', 'MEMBERS', 'NAME'], organisations.map((o) => [o.id, o.slug, String(o.members), o.name]));
  },
};

export const orgsAddCommand: Command = {
  name: 'orgs add',
  summary: 'create an organisation',
  help: `Usage: gatehouse orgs add --slug S --name N [--json]

Creates an organisation. Apps ask for it by its id (printed here) with organization=<id>.

Options:
  --slug S   lowercase letters, digits and "-", unique (required)
  --name N   the name people see, e.g. on the consent page (required)
  --json     print the organisation as JSON`,
  async run(argv, io) {
    const flags = parseFlags(this, { slug: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } } as const, argv);
    const slug = requireFlag(this, flags.slug, '--slug');
    const name = requireFlag(this, flags.name, '--name');
    const { organisationNameSchema, organisationSlugSchema, parsed } = await import('../services/organisations.js');
    await checkInput(this, () => [parsed(organisationSlugSchema, slug, '--slug'), parsed(organisationNameSchema, name, '--name')]);
    const organisation = await withServices((context) => context.organisations.create({ slug, name }, BY_CLI));
    if (flags.json) return printJson(io, organisation);
    io.stdout(`created organisation ${organisation.id} (${organisation.slug}) "${organisation.name}"\n`);
  },
};

export const orgsShowCommand: Command = {
  name: 'orgs show',
  summary: 'show an organisation and its members with their org roles',
  help: `Usage: gatehouse orgs show --org O [--json]

Options:
${ORG_HELP}
  --json           print the organisation and its members as JSON`,
  async run(argv, io) {
    const flags = parseFlags(this, { ...orgFlag, json: { type: 'boolean' } } as const, argv);
    const org = requireFlag(this, flags.org, '--org');
    const found = await withServices(async (context) => ({
      found: await context.organisations.find(org),
      invitations: await context.organisationInvitations.listOpen(org).catch(() => []),
    }));
    if (!found.found) throw new (await import('../errors.js')).NotFoundError(`no organisation ${org}`);
    if (flags.json) return printJson(io, { ...found.found, invitations: found.invitations });
    const { organisation, members } = found.found;
    io.stdout(`${organisation.id}  ${organisation.slug}  "${organisation.name}"  ${organisation.members} member${organisation.members === 1 ? '' : 's'}\n`);
    if (members.length > 0) printTable(io, ['MEMBER', 'ORG ROLES'], members.map((m) => [m.email, m.orgRoles.join(',') || '-']));
    for (const invitation of found.invitations) io.stdout(`invited ${invitation.email} (${invitation.orgRoles.join(',') || 'no org roles'}) until ${invitation.expiresAt.toISOString()}\n`);
  },
};

export const orgsDeleteCommand: Command = {
  name: 'orgs delete',
  summary: 'delete an organisation with its memberships and invitations',
  help: `Usage: gatehouse orgs delete --org O --yes

Deletes the organisation, its memberships and open invitations. Refresh tokens issued for it stop
working (invalid_grant) at their next use.

Options:
${ORG_HELP}
  --yes            confirm (required: there is no undo)`,
  async run(argv, io) {
    const flags = parseFlags(this, { ...orgFlag, yes: { type: 'boolean' } } as const, argv);
    const org = requireFlag(this, flags.org, '--org');
    if (!flags.yes) throw new UsageError(`${this.name}: --yes is required to delete an organisation`);
    await withServices((context) => context.organisations.delete(org, BY_CLI));
    io.stdout(`deleted organisation ${org}\n`);
  },
};

function memberCommand(name: 'orgs add-member' | 'orgs set-roles', summary: string, description: string): Command {
  return {
    name,
    summary,
    help: `Usage: gatehouse ${name} --org O --email E [--role R ...]

${description}

Options:
${ORG_HELP}
  --email E        the member's email address (required)
  --role R         an org role (repeat for more); a lowercase letter, then up to 39 lowercase
                   letters, digits, "_" or "-"`,
    async run(argv, io) {
      const flags = parseFlags(this, memberFlags, argv);
      const org = requireFlag(this, flags.org, '--org');
      const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
      const roles = await checkRoles(this, flags.role);
      if (name === 'orgs add-member') {
        const { user, changed } = await withServices((context) => context.organisations.setMember(org, email, true, BY_CLI, roles));
        io.stdout(changed ? `added ${user.email} to ${org}${roles.length ? `; org roles: ${roles.join(', ')}` : ''}\n` : `${user.email} is already a member of ${org} (org roles unchanged; use orgs set-roles)\n`);
        return;
      }
      const member = await withServices((context) => context.organisations.setOrgRoles(org, email, roles, BY_CLI));
      io.stdout(`${member.email} in ${org}: org roles ${member.orgRoles.join(', ') || '(none)'}\n`);
    },
  };
}

export const orgsAddMemberCommand = memberCommand('orgs add-member', 'make a user a member of an organisation',
  'Makes the account a member, with the org roles given. Its next token for the organisation carries them.');
export const orgsSetRolesCommand = memberCommand('orgs set-roles', 'set a member\'s org roles (replacing them)',
  'Replaces the member\'s org roles with exactly those given (none clears them); the next refresh carries them.');

export const orgsRemoveMemberCommand: Command = {
  name: 'orgs remove-member',
  summary: 'take a user out of an organisation',
  help: `Usage: gatehouse orgs remove-member --org O --email E

Removes the membership and its org roles. Refresh tokens issued for the organisation stop working
(invalid_grant) at their next use.

Options:
${ORG_HELP}
  --email E        the member's email address (required)`,
  async run(argv, io) {
    const flags = parseFlags(this, { ...orgFlag, email: { type: 'string' } } as const, argv);
    const org = requireFlag(this, flags.org, '--org');
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    const { user, changed } = await withServices((context) => context.organisations.setMember(org, email, false, BY_CLI));
    io.stdout(changed ? `removed ${user.email} from ${org}\n` : `${user.email} was not a member of ${org}\n`);
  },
};

export const orgsInviteCommand: Command = {
  name: 'orgs invite',
  summary: 'invite an address into an organisation by email',
  help: `Usage: gatehouse orgs invite --org O --email E [--role R ...]

Mails the address a link that works once and expires (registration.invitationTtlSeconds). The
person opens it, signs in with that address (or registers with it) and becomes a member with the
org roles given.

Options:
${ORG_HELP}
  --email E        the address to invite (required)
  --role R         an org role the invitee will hold (repeat for more)`,
  async run(argv, io) {
    const flags = parseFlags(this, memberFlags, argv);
    const org = requireFlag(this, flags.org, '--org');
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    const roles = await checkRoles(this, flags.role);
    const invitation = await withServices((context) => context.organisationInvitations.invite(org, { email, orgRoles: roles }, BY_CLI));
    io.stdout(`invited ${invitation.email} to ${org}; the link expires ${invitation.expiresAt.toISOString()}\n`);
  },
};

export const ORGS_COMMANDS: Command[] = [
  orgsListCommand, orgsAddCommand, orgsShowCommand, orgsDeleteCommand, orgsAddMemberCommand, orgsRemoveMemberCommand, orgsSetRolesCommand, orgsInviteCommand,
];
