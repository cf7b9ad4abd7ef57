// `gatehouse clients add|list`: registers OAuth clients and shows them (never their secrets).
import type { ClientInput } from '../services/clients.js';
import { checkInput, parseFlags, requireFlag, UsageError, type Command } from './args.js';

/** Who the audit trail names for a change made with this command. */
export const CLI_ACTOR = { by: 'admin-cli' } as const;

/** Who may use an app and which roles it sees: comma-separated names, '' for no limit. */
export const ACCESS_OPTIONS = {
  'visible-roles': { type: 'string' },
  'required-roles': { type: 'string' },
  'required-groups': { type: 'string' },
} as const;

/** The access flags' help, its descriptions starting at `column` as the command's others do. */
export function accessHelp(column: number): string {
  const entries: Array<[string, string[]]> = [
    ['--visible-roles a,b', ['the roles claim this app sees holds only these roles']],
    ['--required-roles a,b', ['only people holding one of these roles (or in one of', '--required-groups) may use the app']],
    ['--required-groups a,b', ['only members of one of these groups (or holders of one of', "--required-roles) may use the app; '' for any of the three", 'removes the limit']],
  ];
  return entries.map(([flag, lines]) => lines.map((line, index) => `${(index === 0 ? `  ${flag}` : '').padEnd(column)}${line}`).join('\n')).join('\n');
}

/** The access flags as client input, each name checked; undefined for a flag not given. */
export async function accessInput(command: Command, flags: { 'visible-roles'?: string | undefined; 'required-roles'?: string | undefined; 'required-groups'?: string | undefined }) {
  const { checkNameList } = await import('./role-names.js');
  return {
    visibleRoles: await checkNameList(command, 'role', flags['visible-roles']),
    requiredRoles: await checkNameList(command, 'role', flags['required-roles']),
    requiredGroups: await checkNameList(command, 'group', flags['required-groups']),
  };
}

const addOptions = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  public: { type: 'boolean' },
  grant: { type: 'string', multiple: true },
  'no-pkce': { type: 'boolean' },
  scope: { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'access-token-ttl': { type: 'string' },
  'id-token-ttl': { type: 'string' },
  'refresh-token-ttl': { type: 'string' },
  ...ACCESS_OPTIONS,
  'service-roles': { type: 'string' },
  'first-party': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** A comma-separated list of role names (`--service-roles a,b`); the service checks each name. */
export function roleListFlag(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((role) => role.trim()).filter((role) => role !== '');
}

/** A lifetime flag's value in whole seconds; the service checks its bounds. */
export function secondsFlag(command: Command, flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`${command.name}: ${flag} must be a whole number of seconds`);
  return Number(value);
}

export const clientsAddCommand: Command = {
  name: 'clients add',
  summary: 'register an OAuth client and print its credentials',
  help: `Usage: gatehouse clients add --name N --redirect-uri U [...] [options]

Registers a client and prints its client_id and, for a confidential client, its client_secret
(shown only here: store it now).

Options:
  --name N                       display name, 1 to 100 characters (required)
  --redirect-uri U               an exact redirect URI; repeat for up to 20. https with a DNS host
                                 name, or http on localhost/127.0.0.1/[::1], or (public clients
                                 only) a private-use scheme such as com.example.app:/callback.
                                 Written as the URL standard writes it (lower-case host, a path
                                 even if only "/"), at most 1024 characters, no wildcard, fragment,
                                 credentials, space or control character
  --post-logout-redirect-uri U   where RP-initiated logout may return; same rules, repeatable
  --public                       a client that cannot keep a secret (SPA, mobile, CLI): no secret,
                                 PKCE always required, no client_credentials
  --grant G                      authorization_code, refresh_token or client_credentials; repeat
                                 for several (default: authorization_code and refresh_token).
                                 A client with only client_credentials needs no redirect URI
  --no-pkce                      let a confidential client skip PKCE (legacy apps only)
  --scope S                      space-separated scopes the client may ask for
                                 (default: "openid offline_access profile email"); include
                                 "admin" only for an admin tool (the admin API, /admin/api)
  --backchannel-logout-uri U     where Gatehouse POSTs a logout token (OpenID Back-Channel
                                 Logout 1.0) whenever a session that used this client ends;
                                 https, or http on a loopback host
  --backchannel-logout-session-required
                                 the client needs the session id (sid) in every logout token
                                 (Gatehouse sends it anyway)
  --access-token-ttl S           this client's access token lifetime, 60 to 86400 seconds
  --id-token-ttl S               this client's ID token lifetime, 60 to 86400 seconds
  --refresh-token-ttl S          this client's refresh token lifetime, from 60 seconds up to
                                 ttlSeconds.refreshToken
${accessHelp(33)}
  --service-roles R1,R2          make the client a service account: its client_credentials
                                 tokens carry these roles (the "roles" claim in JWT access tokens
                                 and at introspection); needs --grant client_credentials
  --first-party                  an app run by the same organisation as Gatehouse: people
                                 signing in to it are never asked to allow access
  --json                         print one JSON object (RFC 7591 style) instead of text`,
  async run(argv, io) {
    const flags = parseFlags(this, addOptions, argv);
    const { parseClientInput } = await import('../services/clients.js');
    const input: ClientInput = {
      name: requireFlag(this, flags.name, '--name'),
      redirectUris: flags['redirect-uri'] ?? [],
      postLogoutRedirectUris: flags['post-logout-redirect-uri'] ?? [],
      public: flags.public ?? false,
      requirePkce: !flags['no-pkce'],
      ...(flags.grant ? { grants: flags.grant as ClientInput['grants'] } : {}),
      ...(flags.scope !== undefined ? { scope: flags.scope } : {}),
      ...(flags['backchannel-logout-uri'] !== undefined ? { backchannelLogoutUri: flags['backchannel-logout-uri'] } : {}),
      backchannelLogoutSessionRequired: flags['backchannel-logout-session-required'] ?? false,
      accessTokenTtl: secondsFlag(this, '--access-token-ttl', flags['access-token-ttl']),
      idTokenTtl: secondsFlag(this, '--id-token-ttl', flags['id-token-ttl']),
      refreshTokenTtl: secondsFlag(this, '--refresh-token-ttl', flags['refresh-token-ttl']),
      ...(await accessInput(this, flags)),
      serviceRoles: roleListFlag(flags['service-roles']),
      firstParty: flags['first-party'] ?? false,
    };
    // Everything is checked before the database is opened, so a refused client leaves no trace.
    await checkInput(this, () => parseClientInput(input));

    const { withSession } = await import('./session.js');
    // Admin changes are part of the audit trail; never the secret.
    const client = await withSession(({ context }) => context.clients.register(input, CLI_ACTOR));
    if (flags.json) {
      io.stdout(`${JSON.stringify({ client_id: client.clientId, ...(client.clientSecret ? { client_secret: client.clientSecret } : {}), ...client.metadata })}\n`);
      return;
    }
    io.stdout(`client_id:     ${client.clientId}\n`);
    if (client.clientSecret) io.stdout(`client_secret: ${client.clientSecret}\n(the secret is shown only now; store it safely)\n`);
    else io.stdout('public client: no secret; it must use PKCE\n');
  },
};

export const clientsListCommand: Command = {
  name: 'clients list',
  summary: 'list registered clients (never their secrets)',
  help: `Usage: gatehouse clients list [--json]

Lists every registered client with its type (whether it has a secret), grants and redirect URIs.
A secret is shown only by the command that creates it; listings never show it.

Options:
  --json   print a JSON array instead of text`,
  async run(argv, io) {
    const flags = parseFlags(this, { json: { type: 'boolean' } }, argv);
    const { withSession } = await import('./session.js');
    const clients = await withSession(({ context }) => context.clients.list());
    if (flags.json) {
      const rows = clients.map((c) => ({ ...c.metadata, client_id: c.clientId, confidential: c.hasSecret, has_secret: c.hasSecret, created_at: c.createdAt.toISOString() }));
      io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (clients.length === 0) io.stdout('no clients registered\n');
    for (const c of clients) {
      const grants = Array.isArray(c.metadata.grant_types) ? c.metadata.grant_types.join(',') : '';
      const uris = Array.isArray(c.metadata.redirect_uris) ? c.metadata.redirect_uris.join(' ') : '';
      io.stdout(`${c.clientId}  ${String(c.metadata.client_name ?? '')}  ${c.hasSecret ? 'confidential (has a secret)' : 'public (no secret)'}  ${grants}  ${uris}\n`);
    }
  },
};
