// `gatehouse clients show|update|delete|rotate-secret`: what the admin API does with a client, for
// scripts. A change made here reaches a running server's nodes within settings.clientCacheSeconds
// (their client cache); a rotated secret works everywhere at once.
import type { ClientPatch, ClientSummary } from '../services/clients.js';
import { parseFlags, readFirstLine, requireFlag, UsageError, type CliIo, type Command } from './args.js';
import { accessHelp, accessInput, ACCESS_OPTIONS, CLI_ACTOR, roleListFlag, secondsFlag } from './clients.js';

const CLIENT_FLAG = { client: { type: 'string' } } as const;

/** A service refusal of the values given (ValidationError) is a usage error: exit 2, one line. */
async function refusingBadValues<T>(command: Command, work: () => Promise<T>): Promise<T> {
  const { ValidationError } = await import('../errors.js');
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`${command.name}: ${error.message}`);
    throw error;
  }
}

async function withClients<T>(work: (clients: import('../services/clients.js').ClientService) => Promise<T>): Promise<T> {
  const { withSession } = await import('./session.js');
  return withSession(({ context }) => work(context.clients));
}

function clientJson(client: ClientSummary) {
  return {
    ...client.metadata, client_id: client.clientId, has_secret: client.hasSecret,
    ...(client.previousSecretExpiresAt !== undefined ? { previous_secret_expires_at: new Date(client.previousSecretExpiresAt * 1000).toISOString() } : {}),
    created_at: client.createdAt.toISOString(), updated_at: client.updatedAt.toISOString(),
  };
}

function printClient(io: CliIo, client: ClientSummary, json: boolean | undefined): void {
  const shown = clientJson(client);
  if (json) {
    io.stdout(`${JSON.stringify(shown, null, 2)}\n`);
    return;
  }
  for (const [key, value] of Object.entries(shown)) io.stdout(`${`${key}:`.padEnd(38)}${Array.isArray(value) ? value.join(' ') : String(value)}\n`);
}

export const clientsShowCommand: Command = {
  name: 'clients show',
  summary: 'show one client (never its secret)',
  help: `Usage: gatehouse clients show --client ID [--json]

Shows a client's metadata, whether it has a secret and, after a rotation, when the previous secret
stops being accepted. The secret itself is never shown.

Options:
  --client ID   the client_id (an id starting with '-' works too)
  --json        print one JSON object instead of text`,
  async run(argv, io) {
    const flags = parseFlags(this, { ...CLIENT_FLAG, json: { type: 'boolean' } }, argv);
    const clientId = requireFlag(this, flags.client, '--client');
    printClient(io, await withClients((clients) => clients.show(clientId)), flags.json);
  },
};

const updateOptions = {
  ...CLIENT_FLAG,
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'add-redirect-uri': { type: 'string', multiple: true },
  'remove-redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'no-post-logout-redirect-uris': { type: 'boolean' },
  grant: { type: 'string', multiple: true },
  pkce: { type: 'boolean' },
  'no-pkce': { type: 'boolean' },
  scope: { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  'no-backchannel-logout-uri': { type: 'boolean' },
  'access-token-ttl': { type: 'string' },
  'id-token-ttl': { type: 'string' },
  'refresh-token-ttl': { type: 'string' },
  ...ACCESS_OPTIONS,
  'service-roles': { type: 'string' },
  'no-service-roles': { type: 'boolean' },
  'first-party': { type: 'boolean' },
  'no-first-party': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** A lifetime flag: whole seconds, or "default" to drop the client's own. */
function lifetime(command: Command, flag: string, value: string | undefined): number | null | undefined {
  return value === 'default' ? null : secondsFlag(command, flag, value);
}

function only(command: Command, pairs: Array<[string, boolean]>): void {
  const given = pairs.filter(([, set]) => set).map(([flag]) => flag);
  if (given.length > 1) throw new UsageError(`${command.name}: use only one of ${given.join(', ')}`);
}

export const clientsUpdateCommand: Command = {
  name: 'clients update',
  summary: 'change a client; the result is checked as at registration',
  help: `Usage: gatehouse clients update --client ID [options]

Changes only what is given; the resulting client must pass every rule of \`clients add\` (see its
--help for redirect URIs, grants and scopes). A client's type (public or confidential) cannot
change, and the built-in clients cannot be changed. Running servers see the change within
clientCacheSeconds.

Options:
  --client ID                      the client_id (an id starting with '-' works too)
  --name N                         a new display name
  --redirect-uri U                 replace every redirect URI with these (repeatable)
  --add-redirect-uri U             add a redirect URI (repeatable)
  --remove-redirect-uri U          remove a redirect URI (repeatable)
  --post-logout-redirect-uri U     replace every post-logout redirect URI (repeatable)
  --no-post-logout-redirect-uris   remove every post-logout redirect URI
  --grant G                        replace the grants (repeatable)
  --pkce | --no-pkce               require PKCE, or let a confidential client skip it
  --scope S                        replace the scopes the client may ask for
  --backchannel-logout-uri U       where logout tokens are POSTed
  --no-backchannel-logout-uri      stop back-channel logout for this client
  --access-token-ttl S             access token lifetime, 60 to 86400 seconds, or "default"
  --id-token-ttl S                 ID token lifetime, 60 to 86400 seconds, or "default"
  --refresh-token-ttl S            refresh token lifetime, from 60 seconds up to ttlSeconds.refreshToken, or "default"
${accessHelp(35)}
  --service-roles R1,R2            replace the roles its client_credentials tokens carry
  --no-service-roles               make it an ordinary client again (no roles)
  --first-party | --no-first-party never ask people to allow access to it, or ask again
  --json                           print the changed client as JSON`,
  async run(argv, io) {
    const flags = parseFlags(this, updateOptions, argv);
    const clientId = requireFlag(this, flags.client, '--client');
    only(this, [['--redirect-uri', flags['redirect-uri'] !== undefined], ['--add-redirect-uri/--remove-redirect-uri', flags['add-redirect-uri'] !== undefined || flags['remove-redirect-uri'] !== undefined]]);
    only(this, [['--pkce', flags.pkce === true], ['--no-pkce', flags['no-pkce'] === true]]);
    only(this, [['--backchannel-logout-uri', flags['backchannel-logout-uri'] !== undefined], ['--no-backchannel-logout-uri', flags['no-backchannel-logout-uri'] === true]]);
    only(this, [['--post-logout-redirect-uri', flags['post-logout-redirect-uri'] !== undefined], ['--no-post-logout-redirect-uris', flags['no-post-logout-redirect-uris'] === true]]);
    only(this, [['--service-roles', flags['service-roles'] !== undefined], ['--no-service-roles', flags['no-service-roles'] === true]]);
    only(this, [['--first-party', flags['first-party'] === true], ['--no-first-party', flags['no-first-party'] === true]]);
    const ttls = {
      accessTokenTtl: lifetime(this, '--access-token-ttl', flags['access-token-ttl']),
      idTokenTtl: lifetime(this, '--id-token-ttl', flags['id-token-ttl']),
      refreshTokenTtl: lifetime(this, '--refresh-token-ttl', flags['refresh-token-ttl']),
    };
    const patch: Record<string, unknown> = {
      name: flags.name,
      redirectUris: flags['redirect-uri'],
      postLogoutRedirectUris: flags['no-post-logout-redirect-uris'] ? [] : flags['post-logout-redirect-uri'],
      grants: flags.grant,
      requirePkce: flags.pkce ? true : flags['no-pkce'] ? false : undefined,
      scope: flags.scope,
      backchannelLogoutUri: flags['no-backchannel-logout-uri'] ? null : flags['backchannel-logout-uri'],
      serviceRoles: flags['no-service-roles'] ? null : roleListFlag(flags['service-roles']),
      firstParty: flags['first-party'] ? true : flags['no-first-party'] ? false : undefined,
      ...ttls,
      ...(await accessInput(this, flags)),
    };
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as ClientPatch;
    const adding = flags['add-redirect-uri'] ?? [];
    const removing = flags['remove-redirect-uri'] ?? [];
    if (Object.keys(changes).length === 0 && adding.length === 0 && removing.length === 0) {
      throw new UsageError(`${this.name}: nothing to change (see \`gatehouse ${this.name} --help\`)`);
    }
    const updated = await refusingBadValues(this, () => withClients(async (clients) => {
      if (adding.length > 0 || removing.length > 0) {
        const current = (await clients.show(clientId)).metadata.redirect_uris;
        const kept = (Array.isArray(current) ? current.map(String) : []).filter((uri) => !removing.includes(uri));
        const missing = removing.find((uri) => !(Array.isArray(current) && current.includes(uri)));
        if (missing !== undefined) throw new UsageError(`${this.name}: ${clientId} has no redirect URI ${missing}`);
        changes.redirectUris = [...new Set([...kept, ...adding])];
      }
      return clients.update(clientId, changes, CLI_ACTOR);
    }));
    printClient(io, updated, flags.json);
  },
};

export const clientsDeleteCommand: Command = {
  name: 'clients delete',
  summary: 'delete a client and revoke its grants and tokens',
  help: `Usage: gatehouse clients delete --client ID [--yes]

Deletes the client and revokes every grant and token it holds (authorization codes, access and
refresh tokens, in Postgres and Redis). Asks you to type the client_id to confirm, unless --yes.
Running servers stop accepting the client within clientCacheSeconds.

Options:
  --client ID   the client_id (an id starting with '-' works too)
  --yes         do not ask (for scripts)`,
  async run(argv, io) {
    const flags = parseFlags(this, { ...CLIENT_FLAG, yes: { type: 'boolean' } }, argv);
    const clientId = requireFlag(this, flags.client, '--client');
    if (!flags.yes) {
      io.stderr(`Type the client_id (${clientId}) to delete it and revoke its tokens: `);
      const typed = (await readFirstLine(io.stdin)).trim();
      if (typed !== clientId) throw new UsageError(`${this.name}: what was typed is not the client_id; nothing was deleted (use --yes in scripts)`);
    }
    const revoked = await withClients((clients) => clients.delete(clientId, CLI_ACTOR));
    io.stdout(`deleted ${clientId}; ${revoked.grants} grant(s) revoked with their tokens\n`);
  },
};

export const clientsRotateSecretCommand: Command = {
  name: 'clients rotate-secret',
  summary: 'give a confidential client a new secret',
  help: `Usage: gatehouse clients rotate-secret --client ID [--json]

Prints a new client_secret (shown only here: store it now). The previous secret keeps working
for clients.secretRotationOverlapSeconds (default 86400; 0 stops it at once, for a leaked secret),
so the app can be redeployed with the new one first.

Options:
  --client ID   the client_id (an id starting with '-' works too)
  --json        print {client_id, client_secret, previous_secret_expires_at} as JSON`,
  async run(argv, io) {
    const flags = parseFlags(this, { ...CLIENT_FLAG, json: { type: 'boolean' } }, argv);
    const clientId = requireFlag(this, flags.client, '--client');
    const rotated = await withClients((clients) => clients.rotateSecret(clientId, CLI_ACTOR));
    const endsAt = rotated.previousSecretExpiresAt?.toISOString() ?? null;
    if (flags.json) {
      io.stdout(`${JSON.stringify({ client_id: clientId, client_secret: rotated.clientSecret, previous_secret_expires_at: endsAt })}\n`);
      return;
    }
    io.stdout(`client_id:     ${clientId}\nclient_secret: ${rotated.clientSecret}\n(the secret is shown only now; store it safely)\n`);
    io.stdout(endsAt ? `the previous secret works until ${endsAt}\n` : 'the previous secret stopped working at once\n');
  },
};
