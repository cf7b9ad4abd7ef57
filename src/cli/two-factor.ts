// `gatehouse users reset-2fa`: an operator turns off a person's second factor (a lost phone and
// no backup codes), after checking who they are by other means.
import type { Command } from './args.js';
import { parseEmailFlag, withUserByEmail } from './user-by-email.js';

export const usersResetTwoFactorCommand: Command = {
  name: 'users reset-2fa',
  summary: "remove a user's two-factor sign-in",
  help: `Usage: gatehouse users reset-2fa --email E

Removes the user's authenticator app, backup codes and remembered devices, and clears a lock
after wrong codes. They then sign in with their password alone (or are asked to enrol again
where policy requires two-factor). Check who is asking before you run this. The reset is
recorded in the audit trail (two_factor.reset).

Options:
  --email E   the user's sign-in email address (required)`,
  async run(argv, io) {
    const email = await parseEmailFlag(this, argv);
    const wasOn = await withUserByEmail(email, (context, user) => context.userAdmin.resetTwoFactor(user.id, { by: 'admin-cli' }));
    io.stdout(wasOn ? `two-factor sign-in removed for <${email}>\n` : `<${email}> had no two-factor sign-in to remove\n`);
  },
};
