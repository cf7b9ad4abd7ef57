// `gatehouse clients registration-token`: mints an initial access token for dynamic client
// registration (RFC 7591 §3) and prints it alone on stdout, so `TOKEN=$(gatehouse clients
// registration-token)` works. The token is shown only here; the audit trail records that one was
// minted, for how long and how many uses, never the token.
import { parseFlags, UsageError, type Command } from './args.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DEFAULT_EXPIRES = '1d';
// Mirrors oidc/registration.ts, kept here so that --help and bad input load nothing heavy.
const MAX_SECONDS = 30 * 86_400;
const MAX_USES = 10_000;

/** "30m", "1h", "7d" (or "90s") as seconds; undefined when malformed. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,6})([smhd])$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : undefined;
}

const options = {
  expires: { type: 'string' },
  uses: { type: 'string' },
} as const;

export const clientsRegistrationTokenCommand: Command = {
  name: 'clients registration-token',
  summary: 'mint an initial access token for dynamic client registration',
  help: `Usage: gatehouse clients registration-token [--expires 1h] [--uses N]

Prints a new initial access token, alone on stdout (TOKEN=$(gatehouse clients registration-token)).
With dynamicRegistration.mode "token" in the settings file, a client registers itself at the
registration endpoint by sending it as "Authorization: Bearer <token>". The token is shown only
now and stored only as a hash.

Options:
  --expires D   how long the token works: a number and s, m, h or d (30m, 1h, 7d); at most 30d
                (default ${DEFAULT_EXPIRES})
  --uses N      how many clients it may register, 1 to ${MAX_USES} (default: any number until it expires)`,
  async run(argv, io) {
    const flags = parseFlags(this, options, argv);
    const expiresInSeconds = parseDurationSeconds(flags.expires ?? DEFAULT_EXPIRES);
    if (expiresInSeconds === undefined || expiresInSeconds > MAX_SECONDS) {
      throw new UsageError(`${this.name}: --expires must be a duration such as 30m, 1h or 7d, at most 30d`);
    }
    const maxUses = flags.uses === undefined ? undefined : Number(flags.uses);
    if (maxUses !== undefined && (!/^[0-9]+$/.test(flags.uses!) || maxUses < 1 || maxUses > MAX_USES)) {
      throw new UsageError(`${this.name}: --uses must be a whole number from 1 to ${MAX_USES}`);
    }

    const { withSession } = await import('./session.js');
    const minted = await withSession(async ({ context }) => {
      const issued = await context.initialAccessTokens.mint({ expiresInSeconds, maxUses });
      await context.audit.record({
        type: 'client.initial_access_issued', outcome: 'success',
        detail: { by: 'admin-cli', expiresInSeconds, maxUses: maxUses ?? null },
      });
      return issued;
    });
    io.stdout(`${minted.token}\n`);
    const uses = maxUses === undefined ? 'any number of registrations' : `${maxUses} registration${maxUses === 1 ? '' : 's'}`;
    io.stderr(`valid until ${minted.expiresAt.toISOString()} for ${uses}; shown only now\n`);
  },
};
