// `gatehouse users set-password`: an operator sets a person's password (a lost mailbox, a new
// starter), with the password policy, and everyone who knew the old one signed out.
import { markSecret, parseFlags, requireFlag, UsageError, type Command } from './args.js';
import { checkPasswordPolicy, isTerminal, promptNewPassword, readPasswordFromStdin } from './password-input.js';
import { checkEmailFlag, withUserByEmail } from './user-by-email.js';

export const usersSetPasswordCommand: Command = {
  name: 'users set-password',
  summary: "set a user's password; ends their sessions and grants",
  help: `Usage: gatehouse users set-password --email E [--password-stdin]

Sets the user's password: typed twice at a prompt that does not echo it, or with --password-stdin
the first line of stdin, e.g.
  printf '%s\\n' "$PASSWORD" | gatehouse users set-password --email E --password-stdin
The password policy applies (passwordPolicy: at least 12 characters, not a common password, not
containing the email address). As after a password reset, every session of the user ends, every
grant and token is revoked and remembered devices must give a code again: whoever knew the old
password is out. Recorded in the audit trail (admin.user_changed, action password_set); the
password itself never is. To let the person choose, mail them a reset link instead (admin API
POST /admin/api/users/{id}/password-reset).

Options:
  --email E          the user's sign-in email address (required)
  --password-stdin   read the password from stdin instead of prompting`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, 'password-stdin': { type: 'boolean' } } as const, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    if (!flags['password-stdin'] && !isTerminal(io.stdin)) {
      throw new UsageError(`${this.name}: not on a terminal, so give --password-stdin and the password on stdin`);
    }
    const password = flags['password-stdin'] ? await readPasswordFromStdin(io) : await promptNewPassword(this, io);
    markSecret(password);
    await checkPasswordPolicy(this, password, { email });
    const outcome = await withUserByEmail(email, (context, user) => context.userAdmin.setPassword(user.id, password, { by: 'admin-cli' }));
    io.stdout(`password set for user ${outcome.user.id} <${outcome.user.email}>; ${outcome.sessions} session${outcome.sessions === 1 ? '' : 's'} ended\n`);
  },
};
