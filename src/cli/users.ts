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
  --password P       the password (visible in shell history and ps): at least 12 characters
                     (passwordPolicy.minLength), not a common password, not containing the
                     email address
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
    if (!emailSchema.safeParse(email).success) throw new UsageError(`${this.name}: --email "${email}" is not a valid email address`);
    if (flags.name !== undefined && (flags.name.trim() === '' || flags.name.length > 200)) {
      throw new UsageError(`${this.name}: --name must be 1 to 200 characters`);
    }
    // The same policy users.create applies, so the reason is the sentence a person would see.
    const { loadSettingsFromEnvironment } = await import('../config.js');
    const { createPasswordPolicy } = await import('../services/password-policy.js');
    const { loadCommonPasswords } = await import('../services/common-passwords.js');
    const policy = createPasswordPolicy({ ...loadSettingsFromEnvironment().passwordPolicy, commonPasswords: loadCommonPasswords });
    const problem = policy.check(password, { email, name: flags.name });
    if (problem) throw new UsageError(`${this.name}: ${problem.message}`);

    const { withSession } = await import('./session.js');
    const user = await withSession(({ context }) => context.users.create({
      email, password, emailVerified: flags.verified ?? false, ...(flags.name !== undefined ? { name: flags.name } : {}),
    }));
    io.stdout(`created user ${user.id} <${user.email}>${user.emailVerified ? ' (email verified)' : ''}\n`);
  },
};
