// `gatehouse users reset-2fa`: an operator turns off a person's second factor (a lost phone and
// no backup codes), after checking who they are by other means.
import { parseFlags, requireFlag, UsageError, type Command } from './args.js';

export const usersResetTwoFactorCommand: Command = {
  name: 'users reset-2fa',
  summary: "remove a user's two-factor sign-in",
  help: `Usage: gatehouse users reset-2fa --email E

Removes the user's authenticator app, backup codes and remembered devices, and clears a lock
after wrong codes. They then sign in with their password alone (or are asked to enrol again
where policy requires two-factor). Check who is asking before you run this.

Options:
  --email E   the user's sign-in email address (required)`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' } }, argv);
    const email = requireFlag(this, flags.email, '--email');
    const { emailSchema } = await import('../services/users.js');
    if (!emailSchema.safeParse(email).success) throw new UsageError(`${this.name}: --email "${email}" is not a valid email address`);

    const { withSession } = await import('./session.js');
    const { NotFoundError } = await import('../errors.js');
    const wasOn = await withSession(async ({ context }) => {
      const user = await context.users.findByEmail(email);
      if (!user) throw new NotFoundError(`no user with email ${email}`);
      return context.twoFactor.reset(user.id);
    });
    io.stdout(wasOn ? `two-factor sign-in removed for <${email}>\n` : `<${email}> had no two-factor sign-in to remove\n`);
  },
};
