// `gatehouse users add`: creates a person who can sign in with a password.
import { markSecret, parseFlags, readFirstLine, requireFlag, UsageError, type Command } from './args.js';

const options = {
  email: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  verified: { type: 'boolean' },
  name: { type: 'string' },
} as const;

export const usersAddCommand: Command = {
  name: 'users add',
  summary: 'create a user with a password',
  help: `Usage: gatehouse users add --email E (--password P | --password-stdin) [--verified] [--name N]

Creates a user who can sign in with the email address and password.

Options:
  --email E          the sign-in email address (required)
  --password P       the password, at least 8 characters (visible in shell history and ps)
  --password-stdin   read the password from the first line of stdin instead, e.g.
                     printf '%s\\n' "$PASSWORD" | gatehouse users add --email E --password-stdin
  --verified         mark the email address as already verified
  --name N           the display name (the "name" claim)`,
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
    const password = flags.password ?? (await readFirstLine(io.stdin));
    markSecret(password);

    // Refuse bad input before the database is opened: nothing is written, nothing is waited for.
    const { emailSchema } = await import('../services/users.js');
    const { passwordProblem } = await import('../services/passwords.js');
    if (!emailSchema.safeParse(email).success) throw new UsageError(`${this.name}: --email "${email}" is not a valid email address`);
    const problem = passwordProblem(password);
    if (problem) throw new UsageError(`${this.name}: ${problem}`);
    if (flags.name !== undefined && (flags.name.trim() === '' || flags.name.length > 200)) {
      throw new UsageError(`${this.name}: --name must be 1 to 200 characters`);
    }

    const { withSession } = await import('./session.js');
    const user = await withSession(({ context }) => context.users.create({
      email, password, emailVerified: flags.verified ?? false, ...(flags.name !== undefined ? { name: flags.name } : {}),
    }));
    io.stdout(`created user ${user.id} <${user.email}>${user.emailVerified ? ' (email verified)' : ''}\n`);
  },
};
