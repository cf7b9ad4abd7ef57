// `gatehouse users tokens`: a person's personal access tokens, listed (never their values, which
// only the person ever saw) and revoked one at a time, as the admin API and console do.
import { parseFlags, requireFlag, UsageError, type Command } from './args.js';
import { checkEmailFlag, withUserByEmail } from './user-by-email.js';

const CLI_BY = 'admin-cli';

function day(date: Date | null): string {
  return date ? date.toISOString().slice(0, 10) : 'never';
}

export const usersTokensCommand: Command = {
  name: 'users tokens',
  summary: "list a user's personal access tokens, or revoke one",
  help: `Usage: gatehouse users tokens --email E [--revoke ID] [--json]

Lists the personal access tokens the person made on their account page that have not expired
(id, name, scopes, created, last used, expires); a token's value is never stored, so it is never
shown. With --revoke, revokes that token at once (introspection answers it inactive from then on),
recorded in the audit trail as personal_token.revoked by admin-cli.

Options:
  --email E          the user's email address (required)
  --revoke ID        revoke the token with this id (from the list)
  --json             print the list as JSON`,
  async run(argv, io) {
    const flags = parseFlags(this, { email: { type: 'string' }, revoke: { type: 'string' }, json: { type: 'boolean' } } as const, argv);
    const email = await checkEmailFlag(this, requireFlag(this, flags.email, '--email'));
    const revoke = flags.revoke?.trim();
    if (revoke !== undefined && !/^[0-9a-f-]{36}$/i.test(revoke)) throw new UsageError(`${this.name}: --revoke takes a token id from the list`);
    if (revoke !== undefined) {
      const outcome = await withUserByEmail(email, async (context, user) => ({
        user, revoked: await context.personalTokens.revoke({ id: user.id, email: user.email }, revoke, {}, CLI_BY),
      }));
      if (!outcome.revoked) {
        const { NotFoundError } = await import('../errors.js');
        throw new NotFoundError(`<${outcome.user.email}> has no live personal access token ${revoke}`);
      }
      io.stdout(`revoked personal access token ${revoke} of <${outcome.user.email}>\n`);
      return;
    }
    const { user, tokens } = await withUserByEmail(email, async (context, found) => ({ user: found, tokens: await context.personalTokens.list(found.id) }));
    if (flags.json) {
      io.stdout(`${JSON.stringify(tokens.map((token) => ({
        id: token.id, name: token.name, scope: token.scopes.join(' '), created_at: token.createdAt, last_used_at: token.lastUsedAt,
        expires_at: token.expiresAt, revoked_at: token.revokedAt,
      })))}\n`);
      return;
    }
    if (tokens.length === 0) {
      io.stdout(`<${user.email}> has no personal access tokens\n`);
      return;
    }
    for (const token of tokens) {
      const state = token.revokedAt ? `revoked ${day(token.revokedAt)}` : `expires ${day(token.expiresAt)}`;
      io.stdout(`${token.id}  ${token.name}  [${token.scopes.join(' ')}]  created ${day(token.createdAt)}, last used ${day(token.lastUsedAt)}, ${state}\n`);
    }
  },
};
