// Admin API: OAuth clients. Field names are RFC 7591 client metadata (client_name, redirect_uris,
// grant_types, scope, …) plus Gatehouse's own (require_pkce, access_token_ttl, …). The bodies are
// checked for shape here; the client rules (redirect URIs, grants, PKCE, scopes offered,
// lifetimes) are the client service's, so the CLI and this API refuse the same clients, with the
// same `fields`. A secret appears only in the answer that creates it.
import type Koa from 'koa';
import { z } from 'zod';
import { requestMeta } from '../../http/request-meta.js';
import {
  CLIENT_GRANTS, type ClientActor, type ClientInput, type ClientPatch, type ClientService, type ClientSummary,
} from '../../services/clients.js';
import type { ApiRoutes } from './operations.js';
import { byCaller } from './users.js';

export interface ClientRoutesDeps {
  clients: ClientService;
}

const seconds = z.number().int().describe('seconds');
const metadataFields = {
  client_name: z.string().describe('display name, 1 to 100 characters'),
  redirect_uris: z.array(z.string()).describe('exact redirect URIs (https, or http on loopback; private-use schemes for public clients)'),
  post_logout_redirect_uris: z.array(z.string()).describe('where RP-initiated logout may return; same rules'),
  grant_types: z.array(z.enum(CLIENT_GRANTS)).describe('default: authorization_code and refresh_token'),
  scope: z.string().describe('space-separated scopes the client may ask for'),
  require_pkce: z.boolean().describe('false lets a confidential client skip PKCE (legacy apps only)'),
  backchannel_logout_session_required: z.boolean(),
  visible_roles: z.array(z.string()).describe('the roles claim this client sees is limited to these role names; [] shows every role'),
  required_roles: z.array(z.string()).describe('a person needs one of these roles, or one of required_groups, to use the app; [] for no limit'),
  required_groups: z.array(z.string()).describe('a person in one of these groups (or holding one of required_roles) may use the app; [] for no limit'),
  first_party: z.boolean().describe('an app of the same organisation as Gatehouse: people are never asked to consent to it'),
};
const optionalFields = {
  backchannel_logout_uri: z.string().describe('where Gatehouse POSTs logout tokens (OpenID Back-Channel Logout 1.0)'),
  logo_uri: z.string().describe('the app\'s logo (https), shown on its sign-in page when branding.logoOrigins lists its origin'),
  access_token_ttl: seconds.describe('access token lifetime, 60 to 86400 seconds'),
  id_token_ttl: seconds.describe('ID token lifetime, 60 to 86400 seconds'),
  refresh_token_ttl: seconds.describe('refresh token lifetime, 60 seconds up to ttlSeconds.refreshToken'),
  service_roles: z.array(z.string()).describe('a service account\'s roles: its client_credentials tokens carry them (needs the client_credentials grant)'),
};

const createBody = z.object({
  ...metadataFields,
  ...optionalFields,
  public: z.boolean().describe('a client that cannot keep a secret: no secret, PKCE always'),
  token_endpoint_auth_method: z.enum(['none', 'client_secret_basic']).describe('RFC 7591 spelling of `public`'),
}).partial().required({ client_name: true }).strict();

// Null removes an optional field; a client's type (public or confidential) is fixed at creation.
const updateBody = z.object({
  ...metadataFields,
  ...Object.fromEntries(Object.entries(optionalFields).map(([name, schema]) => [name, schema.nullable()])) as {
    [K in keyof typeof optionalFields]: z.ZodNullable<(typeof optionalFields)[K]>
  },
}).partial().strict();

type UpdateBody = z.output<typeof updateBody>;

function inputOf(body: Partial<z.output<typeof createBody>> | UpdateBody): ClientPatch {
  const patch: Record<string, unknown> = {
    name: body.client_name, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris,
    grants: body.grant_types, scope: body.scope, requirePkce: body.require_pkce,
    backchannelLogoutUri: body.backchannel_logout_uri, backchannelLogoutSessionRequired: body.backchannel_logout_session_required,
    logoUri: body.logo_uri,
    accessTokenTtl: body.access_token_ttl, idTokenTtl: body.id_token_ttl, refreshTokenTtl: body.refresh_token_ttl,
    visibleRoles: body.visible_roles, requiredRoles: body.required_roles, requiredGroups: body.required_groups,
    serviceRoles: body.service_roles, firstParty: body.first_party,
  };
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as ClientPatch;
}

function actorOf(ctx: Koa.Context): ClientActor {
  return { ...byCaller(ctx), ...requestMeta(ctx) };
}

const epochIso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

const namesIn = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** A client as the API shows it: its metadata, never a secret; the access lists always, [] when unlimited. */
export function clientJson(client: ClientSummary) {
  return {
    ...client.metadata,
    visible_roles: namesIn(client.metadata.visible_roles),
    required_roles: namesIn(client.metadata.required_roles),
    required_groups: namesIn(client.metadata.required_groups),
    first_party: client.metadata.first_party === true,
    client_id: client.clientId,
    has_secret: client.hasSecret,
    ...(client.previousSecretExpiresAt !== undefined ? { previous_secret_expires_at: epochIso(client.previousSecretExpiresAt) } : {}),
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}

export function addClientRoutes(routes: ApiRoutes, deps: ClientRoutesDeps): void {
  const { clients } = deps;
  const idOf = (ctx: Koa.Context) => String(ctx.params.id ?? '');

  routes.get('/clients', { tag: 'clients', summary: 'list clients (never their secrets)' }, async () => ({
    clients: (await clients.list()).map(clientJson),
  }));

  routes.post('/clients', {
    tag: 'clients', summary: 'register a client', body: createBody,
    success: { status: 201, description: 'the client, with its client_secret when confidential: shown only in this answer' },
  }, async (ctx, { body }) => {
    const input = { ...inputOf(body), public: body.public ?? body.token_endpoint_auth_method === 'none' } as ClientInput;
    const created = await clients.register(input, actorOf(ctx));
    ctx.set('Location', `${ctx.path.replace(/\/$/, '')}/${encodeURIComponent(created.clientId)}`);
    return { ...clientJson(await clients.show(created.clientId)), ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
  });

  routes.get('/clients/:id', { tag: 'clients', summary: 'show a client (never its secret)' }, async (ctx) => clientJson(await clients.show(idOf(ctx))));

  routes.patch('/clients/:id', {
    tag: 'clients', summary: 'change a client; the result is checked as a whole, as at registration', body: updateBody,
    responses: { 409: 'a built-in client' },
  }, async (ctx, { body }) => clientJson(await clients.update(idOf(ctx), inputOf(body), actorOf(ctx))));

  routes.post('/clients/:id/rotate-secret', {
    tag: 'clients', summary: 'give a confidential client a new secret; the old one works until previous_secret_expires_at',
    success: { description: 'the new client_secret, shown only in this answer' },
    responses: { 409: 'a public or built-in client' },
  }, async (ctx) => {
    const rotated = await clients.rotateSecret(idOf(ctx), actorOf(ctx));
    return {
      client_id: idOf(ctx), client_secret: rotated.clientSecret,
      previous_secret_expires_at: rotated.previousSecretExpiresAt?.toISOString() ?? null,
    };
  });

  routes.delete('/clients/:id', {
    tag: 'clients', summary: 'delete a client and revoke every grant and token it holds',
    success: { description: 'the client deleted, and how many grants were revoked' }, responses: { 409: 'a built-in client' },
  }, async (ctx) => {
    const revoked = await clients.delete(idOf(ctx), actorOf(ctx));
    return { deleted: idOf(ctx), grants_revoked: revoked.grants };
  });
}
