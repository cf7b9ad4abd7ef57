// `gatehouse users disable|enable|activate|delete`: an operator keeps a person out, lets them back
// in, or deletes their account, through the same service as the admin API (services/user-admin.ts).
import { createInterface } from 'node:readline';
import { parseFlags, requireFlag, UsageError, type CliIo, type Command } from './args.js';
import { isTerminal } from './password-input.js';
import { checkEmailFlag, parseEmailFlag, withUserByEmail } from './user-by-email.js';

const BY_CLI = { by: 'admin-cli' };

export const usersDisableCommand: Command = {
  name: 'users disable',
  summary: 'keep a user out: no sign-in, every session ended, every grant revoked',
  help: `Usage: gatehouse users disable --email E [--keep-grants]

Disables the account at once: it can no longer sign in (the sign-in page says it was disabled by
an administrator), its refresh and access tokens stop working, every session ends (each app with a
backchannel_logout_uri is sent a logout token by the running servers), and every grant is revoked
with the tokens issued under it, offline_access ones included: an account being disabled may be
compromised. Recorded in the audit trail (admin.user_changed, action disabled). Undo with
\`gatehouse users enable\`.

Options:
  --email E        the user's sign-in email address (required)
  --keep-grants    end the sessions only; the grants stay, refused while the account is disabled,
                   and work again after \`users enable\` (for a suspension, not a compromise)`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, 'keep-grants': { type: 'boolean' } } as const, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    const outcome = await withUserByEmail(email, (context, user) => context.userAdmin.disable(user.id, BY_CLI, { keepGrants: flags['keep-grants'] }));
    const grants = outcome.grants === undefined ? 'grants kept' : `${outcome.grants} grant${outcome.grants === 1 ? '' : 's'} revoked`;
    io.stdout(`disabled user ${outcome.user.id} <${outcome.user.email}>; ${outcome.sessions} session${outcome.sessions === 1 ? '' : 's'} ended, ${grants}\n`);
  },
};

function enableCommand(name: string, done: string): Command {
  return {
    name,
    summary: name === 'users enable' ? 'let a disabled or deactivated user sign in again' : 'the same as `users enable`',
    help: `Usage: gatehouse ${name} --email E

Lets the user sign in again: undoes a disable, or a deactivation the person chose on their account
page (needed when accounts.reactivation is "admin"; with "sign-in" they can also come back by
signing in). Sessions and grants ended by the disable stay ended. Recorded in the audit trail
(account.reactivated, by admin-cli).

Options:
  --email E          the user's email address (required)`,
    async run(argv, io) {
      const email = await parseEmailFlag(this, argv);
      const user = await withUserByEmail(email, (context, found) => context.userAdmin.enable(found.id, BY_CLI));
      io.stdout(`${done} user ${user.id} <${user.email}>\n`);
    },
  };
}

export const usersEnableCommand = enableCommand('users enable', 'enabled');
export const usersActivateCommand = enableCommand('users activate', 'activated');

async function confirmOnTerminal(io: CliIo, email: string): Promise<boolean> {
  io.stderr(`This deletes <${email}> for good. Type the address again to confirm: `);
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const line of lines) return line.trim().toLowerCase() === email.toLowerCase();
    return false;
  } finally {
    lines.close();
  }
}

export const usersDeleteCommand: Command = {
  name: 'users delete',
  summary: "delete a user's account for good",
  help: `Usage: gatehouse users delete --email E [--yes]

Deletes the account as the person's own deletion does: every session ends (with back-channel
logout), every grant and token is revoked, the profile, password, second factor and links are
removed, and the account's audit rows keep only its id (address, IP and user agent erased). The
person is mailed that their account was deleted. Recorded as account.deleted (by admin-cli).

Options:
  --email E          the user's email address (required)
  --yes              do not ask; without it, the address must be typed again on a terminal`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, yes: { type: 'boolean' } } as const, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    if (!flags.yes) {
      if (!isTerminal(io.stdin)) throw new UsageError(`${this.name}: not on a terminal, so give --yes to delete <${email}>`);
      if (!(await confirmOnTerminal(io, email))) throw new UsageError(`${this.name}: the address did not match; nothing was deleted`);
    }
    const user = await withUserByEmail(email, async (context, found) => {
      await context.userAdmin.remove(found.id, BY_CLI);
      return found;
    });
    io.stdout(`deleted user ${user.id} <${user.email}>\n`);
  },
};
