// What a client may be registered or updated with. Every caller (the CLI, the admin API) goes
// through parseClientInput, so every client obeys the same rules: RFC 9700 §2.1 (exact https
// redirect URIs, no implicit flow), RFC 8252 (native apps: loopback http and private-use schemes).
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { ClientMetadata } from '../storage/repositories/clients.js';
import { isPrivateUse, LOOPBACK_HOSTS, MAX_REDIRECT_URIS, parseUrl, quoteUri, redirectUriProblem } from './redirect-uris.js';
import { groupNameSchema } from './roles-and-groups.js';
import { roleSchema } from './users.js';

export const CLIENT_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const DEFAULT_CLIENT_SCOPE = 'openid offline_access profile email';
const DEFAULT_GRANTS = ['authorization_code', 'refresh_token'] as const;
// RFC 6749 §3.3 scope-token characters.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Per-client token lifetimes, in seconds: a minute at least, a day at most for access and ID tokens. */
export const CLIENT_TTL_BOUNDS = { minSeconds: 60, maxAccessSeconds: 86_400 } as const;
const ttl = (max: number) => z.number().int('must be a whole number of seconds')
  .min(CLIENT_TTL_BOUNDS.minSeconds, `at least ${CLIENT_TTL_BOUNDS.minSeconds} seconds`).max(max, `at most ${max} seconds`);

// As many names as oidc/app-access.ts accepts in a client's metadata.
export const MAX_ACCESS_NAMES = 100;
const accessNames = (name: z.ZodString) => z.array(name).max(MAX_ACCESS_NAMES, `at most ${MAX_ACCESS_NAMES} names`);

const clientInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  redirectUris: z.array(z.string()).max(MAX_REDIRECT_URIS, `at most ${MAX_REDIRECT_URIS} URIs`).default([]),
  postLogoutRedirectUris: z.array(z.string()).max(MAX_REDIRECT_URIS, `at most ${MAX_REDIRECT_URIS} URIs`).default([]),
  public: z.boolean().default(false),
  grants: z.array(z.enum(CLIENT_GRANTS)).min(1).optional(),
  requirePkce: z.boolean().default(true),
  scope: z.string().trim().min(1).max(1000).optional(),
  // OpenID Back-Channel Logout 1.0 §2.2: where Gatehouse POSTs a logout token when a session ends.
  backchannelLogoutUri: z.string().max(2000).optional(),
  backchannelLogoutSessionRequired: z.boolean().default(false),
  // RFC 7591 §2: the app's logo, shown on its sign-in page when branding.logoOrigins allows its origin.
  logoUri: z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2000).optional(),
  accessTokenTtl: ttl(CLIENT_TTL_BOUNDS.maxAccessSeconds).optional(),
  idTokenTtl: ttl(CLIENT_TTL_BOUNDS.maxAccessSeconds).optional(),
  // Bounded again by ttlSeconds.refreshToken, by the service and when a token is issued.
  refreshTokenTtl: ttl(366 * 86_400).optional(),
  // Who may use the app and which roles it sees (oidc/app-access.ts); an empty list is no limit.
  visibleRoles: accessNames(roleSchema).optional(),
  requiredRoles: accessNames(roleSchema).optional(),
  requiredGroups: accessNames(groupNameSchema).optional(),
  // A service account: the roles its client_credentials tokens carry (oidc/service-accounts.ts).
  serviceRoles: accessNames(roleSchema).optional(),
  // Part of the same organisation as Gatehouse: no consent page (oidc/first-party.ts). Only an
  // administrator sets it; dynamic registration refuses it (client-registration-policy.ts).
  firstParty: z.boolean().default(false),
}).strict();

export type ClientInput = z.input<typeof clientInputSchema>;

/** Checked input, ready to become stored metadata. */
export interface ClientRegistration {
  confidential: boolean;
  metadata: ClientMetadata;
}

/** Input field → metadata name (RFC 7591 where there is one), for messages and `fields`. */
export const CLIENT_FIELD_NAMES = {
  name: 'client_name', redirectUris: 'redirect_uris', postLogoutRedirectUris: 'post_logout_redirect_uris',
  grants: 'grant_types', scope: 'scope', public: 'public', requirePkce: 'require_pkce',
  backchannelLogoutUri: 'backchannel_logout_uri', backchannelLogoutSessionRequired: 'backchannel_logout_session_required', logoUri: 'logo_uri',
  accessTokenTtl: 'access_token_ttl', idTokenTtl: 'id_token_ttl', refreshTokenTtl: 'refresh_token_ttl',
  visibleRoles: 'visible_roles', requiredRoles: 'required_roles', requiredGroups: 'required_groups', serviceRoles: 'service_roles',
  firstParty: 'first_party',
} as const satisfies Record<keyof ClientInput, string>;

/** Every metadata name parseClientInput writes: an update replaces exactly these. */
export const MANAGED_METADATA = [
  ...Object.values(CLIENT_FIELD_NAMES).filter((name) => name !== 'public'),
  'application_type', 'token_endpoint_auth_method', 'response_types',
] as const;

/** A refusal naming one field (`redirect_uris.0`), as a one-line reason and as `fields`. */
export function fieldError(field: string, problem: string): ValidationError {
  return new ValidationError(`${field.split('.')[0]}: ${problem}`, { fields: { [field]: problem } });
}

/** Back-Channel Logout 1.0 §2.2: an absolute URI without a fragment; https, or http on loopback. */
function backchannelLogoutUriProblem(uri: string): string | undefined {
  const parsed = parseUrl(uri);
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return 'must be an absolute https URI';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname)) return 'http is allowed only for loopback hosts; use https';
  return undefined;
}

type Problem = [field: string, problem: string] | undefined;

function uriProblem(input: z.output<typeof clientInputSchema>): Problem {
  const native = [...input.redirectUris, ...input.postLogoutRedirectUris].some(isPrivateUse);
  for (const [field, uris] of [['redirect_uris', input.redirectUris], ['post_logout_redirect_uris', input.postLogoutRedirectUris]] as const) {
    for (const [index, uri] of uris.entries()) {
      const problem = redirectUriProblem(uri, input.public);
      if (problem) return [`${field}.${index}`, `${quoteUri(uri)} ${problem}`];
      // oidc-provider (after RFC 8252 §7.2) rejects claimed https loopback URIs for native apps.
      const parsed = parseUrl(uri)!;
      if (native && parsed.protocol === 'https:' && LOOPBACK_HOSTS.has(parsed.hostname)) {
        return [`${field}.${index}`, `${quoteUri(uri)} a native app (private-use scheme) must use http, not https, on a loopback host`];
      }
    }
  }
  return undefined;
}

function ruleProblem(input: z.output<typeof clientInputSchema>, grants: string[]): Problem {
  const code = grants.includes('authorization_code');
  // RFC 6749 §4.4: client credentials need a client that can keep a secret.
  if (input.public && grants.includes('client_credentials')) return ['grant_types', 'a public client cannot use client_credentials'];
  if (grants.includes('refresh_token') && !code) return ['grant_types', 'refresh_token needs authorization_code'];
  if (code && input.redirectUris.length === 0) return ['redirect_uris', 'at least one redirect URI is required for authorization_code'];
  if (!code && (input.redirectUris.length > 0 || input.postLogoutRedirectUris.length > 0)) {
    return ['redirect_uris', 'redirect URIs apply only to the authorization_code grant'];
  }
  // RFC 9700 §2.1.1: a public client has nothing but PKCE to bind its code to.
  if (!input.requirePkce && input.public) return ['require_pkce', 'PKCE cannot be turned off for a public client'];
  if (!input.requirePkce && !code) return ['require_pkce', 'PKCE applies only to the authorization_code grant'];
  if (input.backchannelLogoutUri !== undefined) {
    const problem = backchannelLogoutUriProblem(input.backchannelLogoutUri);
    if (problem) return ['backchannel_logout_uri', `${quoteUri(input.backchannelLogoutUri)} ${problem}`];
  } else if (input.backchannelLogoutSessionRequired) {
    return ['backchannel_logout_session_required', 'needs a backchannel_logout_uri'];
  }
  const badScope = input.scope?.split(/\s+/).find((token) => !SCOPE_TOKEN.test(token));
  if (badScope !== undefined) return ['scope', `"${badScope}" is not a valid scope token`];
  if (input.refreshTokenTtl !== undefined && !grants.includes('refresh_token')) return ['refresh_token_ttl', 'applies only with the refresh_token grant'];
  if (input.idTokenTtl !== undefined && !code) return ['id_token_ttl', 'ID tokens are issued only with the authorization_code grant'];
  if (input.serviceRoles?.length && !grants.includes('client_credentials')) return ['service_roles', 'apply only with the client_credentials grant'];
  return undefined;
}

/** Checks client input without touching storage; throws ValidationError with a one-line reason and `fields`. */
export function parseClientInput(input: ClientInput): ClientRegistration {
  const parsed = clientInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [first, ...rest] = issue.path.map(String);
    const field = [CLIENT_FIELD_NAMES[first as keyof ClientInput] ?? first ?? 'input', ...rest].join('.');
    throw fieldError(field, issue.message);
  }
  const data = parsed.data;
  const grants = [...new Set(data.grants ?? DEFAULT_GRANTS)];
  const problem = uriProblem(data) ?? ruleProblem(data, grants);
  if (problem) throw fieldError(...problem);
  const code = grants.includes('authorization_code');
  const postLogout = [...new Set(data.postLogoutRedirectUris)];
  const metadata: ClientMetadata = {
    client_name: data.name,
    application_type: [...data.redirectUris, ...postLogout].some(isPrivateUse) ? 'native' : 'web',
    token_endpoint_auth_method: data.public ? 'none' : 'client_secret_basic',
    grant_types: grants,
    // RFC 9700 §2.1.2: code only; a client without the code grant has no authorization endpoint use.
    response_types: code ? ['code'] : [],
    redirect_uris: [...new Set(data.redirectUris)],
    ...(postLogout.length > 0 ? { post_logout_redirect_uris: postLogout } : {}),
    scope: [...new Set((data.scope ?? DEFAULT_CLIENT_SCOPE).split(/\s+/))].join(' '),
    ...(data.requirePkce ? {} : { require_pkce: false }),
    ...(data.backchannelLogoutUri !== undefined ? {
      backchannel_logout_uri: data.backchannelLogoutUri, backchannel_logout_session_required: data.backchannelLogoutSessionRequired,
    } : {}),
    ...(data.logoUri !== undefined ? { logo_uri: data.logoUri } : {}),
    ...(data.accessTokenTtl !== undefined ? { access_token_ttl: data.accessTokenTtl } : {}),
    ...(data.idTokenTtl !== undefined ? { id_token_ttl: data.idTokenTtl } : {}),
    ...(data.refreshTokenTtl !== undefined ? { refresh_token_ttl: data.refreshTokenTtl } : {}),
    ...namesMetadata('visible_roles', data.visibleRoles),
    ...namesMetadata('required_roles', data.requiredRoles),
    ...namesMetadata('required_groups', data.requiredGroups),
    ...namesMetadata('service_roles', data.serviceRoles),
    ...(data.firstParty ? { first_party: true } : {}),
  };
  return { confidential: !data.public, metadata };
}

/** A list of role or group names as metadata, each once; nothing for an empty list (no limit). */
function namesMetadata(key: string, names: string[] | undefined): Record<string, string[]> {
  return names && names.length > 0 ? { [key]: [...new Set(names)] } : {};
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** A stored client read back as input, so an update is checked as the whole client it makes. */
export function inputFromMetadata(metadata: ClientMetadata): ClientInput {
  return {
    name: String(metadata.client_name ?? ''),
    redirectUris: strings(metadata.redirect_uris),
    postLogoutRedirectUris: strings(metadata.post_logout_redirect_uris),
    public: metadata.token_endpoint_auth_method === 'none',
    ...(strings(metadata.grant_types).length > 0 ? { grants: strings(metadata.grant_types) as ClientInput['grants'] } : {}),
    requirePkce: metadata.require_pkce !== false,
    ...(typeof metadata.scope === 'string' ? { scope: metadata.scope } : {}),
    ...(typeof metadata.backchannel_logout_uri === 'string' ? { backchannelLogoutUri: metadata.backchannel_logout_uri } : {}),
    backchannelLogoutSessionRequired: metadata.backchannel_logout_session_required === true,
    ...(typeof metadata.logo_uri === 'string' ? { logoUri: metadata.logo_uri } : {}),
    accessTokenTtl: optionalNumber(metadata.access_token_ttl),
    idTokenTtl: optionalNumber(metadata.id_token_ttl),
    refreshTokenTtl: optionalNumber(metadata.refresh_token_ttl),
    ...(Array.isArray(metadata.visible_roles) ? { visibleRoles: strings(metadata.visible_roles) } : {}),
    ...(Array.isArray(metadata.required_roles) ? { requiredRoles: strings(metadata.required_roles) } : {}),
    ...(Array.isArray(metadata.required_groups) ? { requiredGroups: strings(metadata.required_groups) } : {}),
    ...(Array.isArray(metadata.service_roles) ? { serviceRoles: strings(metadata.service_roles) } : {}),
    firstParty: metadata.first_party === true,
  };
}
