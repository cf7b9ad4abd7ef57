// `gatehouse users add|invite|unlock|roles`: an operator's changes to people's accounts (disable,
// enable and delete are in user-status.ts, list in users-list.ts, set-password in user-password.ts).
import { checkInput, markSecret, parseFlags, requireFlag, UsageError, type Command } from './args.js';
import { checkPasswordPolicy, readPasswordFromStdin } from './password-input.js';
import { checkEmailFlag, parseEmailFlag, withUserByEmail } from './user-by-email.js';

const options = {
  email: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  verified: { type: 'boolean' },
  name: { type: 'string' },
  role: { type: 'string', multiple: true },
} as const;

const ROLE_RULE = 'a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"';

/** Checked role flags, each once, sorted; a usage error names a bad one before anything is opened. */
async function checkRoleFlags(command: Command, change: { add?: string[] | undefined; remove?: string[] | undefined }) {
  const { parseRoleChange } = await import('../services/users.js');
  const checked = await checkInput(command, () => parseRoleChange({ add: change.add ?? [], remove: change.remove ?? [] }));
  return { add: checked.add.sort(), remove: checked.remove.sort() };
}

export const usersAddCommand: Command = {
  name: 'users add',
  summary: 'create a user with a password',
  help: `Usage: gatehouse users add --email E (--password P | --password-stdin) [--verified] [--name N] [--role R ...]

Creates a user who can sign in with the email address and password.

Options:
  --email E          the sign-in email address (required)
  --password P       the password (visible in shell history and ps): at least 12 characters
                     (passwordPolicy.minLength), not a common password, not containing the
                     email address
  --password-stdin   read the password from the first line of stdin instead, e.g.
                     printf '%s\\n' "$PASSWORD" | gatehouse users add --email E --password-stdin
  --verified         mark the email address as already verified
  --name N           the display name (the "name" claim)
  --role R           grant role R (repeatable), e.g. admin for the admin API: ${ROLE_RULE}`,
  async run(argv, io) {
    const flags = parseFlags(this, options, argv);
    markSecret(flags.password);
    const email = requireFlag(this, flags.email, '--email');
    if (flags.password !== undefined && flags['password-stdin']) {
      throw new UsageError(`${this.name}: use either --password or --password-stdin, not both`);
    }
    if (flags.password === undefined && !flags['password-stdin']) {
      throw new UsageError(`${this.name}: --password or --password-stdin is required (see \`gatehouse ${this.name} --help\`)`);
    }
    const password = flags.password ?? (await readPasswordFromStdin(io));

    // Refuse bad input before the database is opened: nothing is written, nothing is waited for.
    await checkEmailFlag(this, email);
    if (flags.name !== undefined && (flags.name.trim() === '' || flags.name.length > 200)) {
      throw new UsageError(`${this.name}: --name must be 1 to 200 characters`);
    }
    const { add: roles } = await checkRoleFlags(this, { add: flags.role });
    await checkPasswordPolicy(this, password, { email, name: flags.name });

    const { withSession } = await import('./session.js');
    const user = await withSession(async ({ context }) => {
      const created = await context.users.create({
        email, password, emailVerified: flags.verified ?? false, roles, ...(flags.name !== undefined ? { name: flags.name } : {}),
      });
      await context.audit.record({
        type: 'admin.user_changed', outcome: 'success', accountId: created.id, email: created.email,
        detail: { action: 'created', by: 'admin-cli', ...(roles.length > 0 ? { roles: roles.join(',') } : {}) },
      });
      return created;
    });
    const granted = roles.length > 0 ? `; roles: ${roles.join(', ')}` : '';
    io.stdout(`created user ${user.id} <${user.email}>${user.emailVerified ? ' (email verified)' : ''}${granted}\n`);
  },
};

export const usersInviteCommand: Command = {
  name: 'users invite',
  summary: 'mail an invitation to register',
  help: `Usage: gatehouse users invite --email E [--from NAME]

Mails the address a link to create its account (name and password chosen by the person). The
link works once, for that address only, for registration.invitationTtlSeconds (7 days), and the
account starts with its email address verified. Needed when registration.policy is
"invite-only"; under "open" it skips the confirmation email.

Options:
  --email E          the address to invite (required)
  --from NAME        who is inviting, as shown in the mail ("NAME invited you …")`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, from: { type: 'string' } } as const, argv);
    const email = requireFlag(this, flags.email, '--email');
    await checkEmailFlag(this, email);
    if (flags.from !== undefined && (flags.from.trim() === '' || flags.from.length > 100)) {
      throw new UsageError(`${this.name}: --from must be 1 to 100 characters`);
    }
    const { loadSettingsFromEnvironment } = await import('../config.js');
    if (loadSettingsFromEnvironment().registration.policy === 'off') {
      throw new UsageError(`${this.name}: registration.policy is "off", so an invitation could not be used; set it to "invite-only" or "open"`);
    }
    const { withSession } = await import('./session.js');
    const { expiresAt } = await withSession(({ context }) => context.invitations.invite(email, flags.from?.trim()));
    io.stdout(`invited <${email}>; the link expires ${expiresAt.toISOString()}\n`);
  },
};

export const usersUnlockCommand: Command = {
  name: 'users unlock',
  summary: 'end every lockout of an account after failed sign-ins, and its slow-down',
  help: `Usage: gatehouse users unlock --email E

Ends every lock put on an account's sources (IPs or browsers) after repeated wrong passwords
(lockout.maxFailures within lockout.windowSeconds), forgets their failed attempts and ends the
account's slow-down (lockout.accountThrottle), so the person can sign in at once. Recorded in the
audit trail.

Options:
  --email E          the user's email address (required)`,
  async run(argv, io) {
    const email = await parseEmailFlag(this, argv);
    const outcome = await withUserByEmail(email, async (context, user) => (
      { user, wasLocked: await context.userAdmin.unlock(user.id, { by: 'admin-cli' }) }));
    io.stdout(`${outcome.wasLocked ? 'unlocked' : 'was not locked:'} user ${outcome.user.id} <${outcome.user.email}>\n`);
  },
};

/** Applies a checked role change in a session and audits what actually changed (a role already held, or not held, is no event). */
async function changeRolesAudited(email: string, change: { add: string[]; remove: string[] }) {
  const { withSession } = await import('./session.js');
  return withSession(async ({ context }) => {
    const changed = await context.users.changeRoles(email, change);
    if (changed.added.length > 0 || changed.removed.length > 0) {
      await context.audit.record({
        type: 'admin.user_changed', outcome: 'success', accountId: changed.user.id, email: changed.user.email,
        detail: { action: 'roles_changed', added: changed.added.join(','), removed: changed.removed.join(','), by: 'admin-cli' },
      });
    }
    return changed;
  });
}

export const usersRolesCommand: Command = {
  name: 'users roles',
  summary: "show, grant or take away a user's roles",
  help: `Usage: gatehouse users roles --email E [--add R ...] [--remove R ...]

Grants and takes away roles, in one transaction, then prints the roles the user holds; with
neither --add nor --remove it only prints them. The admin role lets the account's bearer tokens
use the admin API (/admin/api/*); twoFactor.policy.requiredForRoles names roles whose holders
must sign in with a second factor. Each change is recorded in the audit trail
(admin.user_changed, action roles_changed).

Options:
  --email E          the user's email address (required)
  --add R            grant role R (repeatable): ${ROLE_RULE}
  --remove R         take role R away (repeatable)`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, add: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true } } as const, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    const change = await checkRoleFlags(this, flags);
    const { user, roles } = change.add.length === 0 && change.remove.length === 0
      ? await withUserByEmail(email, async (context, found) => ({ user: found, roles: await context.users.rolesOf(found.id) }))
      : await changeRolesAudited(email, change);
    io.stdout(roles.length > 0 ? `roles of <${user.email}>: ${roles.join(', ')}\n` : `<${user.email}> has no roles\n`);
  },
};
