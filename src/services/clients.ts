// Registering OAuth clients. Input is checked here, before anything is stored, so every caller (the
// CLI, later the admin API) gets the same rules: RFC 9700 §2.1 (exact https redirect URIs, no
// implicit flow), RFC 8252 (native apps: loopback http and private-use schemes).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { Queryable } from '../storage/db.js';
import { createClientRepository, type ClientMetadata, type ClientSummary } from '../storage/repositories/clients.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { isPrivateUse, LOOPBACK_HOSTS, MAX_REDIRECT_URIS, parseUrl, quoteUri, redirectUriProblem } from './redirect-uris.js';

export const CLIENT_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const DEFAULT_CLIENT_SCOPE = 'openid offline_access profile email';
const DEFAULT_GRANTS = ['authorization_code', 'refresh_token'] as const;
// RFC 6749 §3.3 scope-token characters.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

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
}).strict();

export type ClientInput = z.input<typeof clientInputSchema>;

/** Checked input, ready to become stored metadata. */
export interface ClientRegistration {
  confidential: boolean;
  metadata: ClientMetadata;
}

export interface RegisteredClient {
  clientId: string;
  /** Only for confidential clients; shown once to whoever registered the client. */
  clientSecret?: string;
  /** Stored metadata without client_secret. */
  metadata: ClientMetadata;
}

const FIELD_NAMES: Record<string, string> = {
  name: 'client_name', redirectUris: 'redirect_uris', postLogoutRedirectUris: 'post_logout_redirect_uris',
  grants: 'grant_types', scope: 'scope', public: 'public', requirePkce: 'require_pkce',
  backchannelLogoutUri: 'backchannel_logout_uri', backchannelLogoutSessionRequired: 'backchannel_logout_session_required',
};

/** Back-Channel Logout 1.0 §2.2: an absolute URI without a fragment; https, or http on loopback. */
function backchannelLogoutUriProblem(uri: string): string | undefined {
  const parsed = parseUrl(uri);
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return 'must be an absolute https URI';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  if (parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname)) return 'http is allowed only for loopback hosts; use https';
  return undefined;
}

function checkRules(input: z.output<typeof clientInputSchema>, grants: string[]): string | undefined {
  const native = [...input.redirectUris, ...input.postLogoutRedirectUris].some(isPrivateUse);
  for (const [field, uris] of [['redirect_uris', input.redirectUris], ['post_logout_redirect_uris', input.postLogoutRedirectUris]] as const) {
    for (const uri of uris) {
      const problem = redirectUriProblem(uri, input.public);
      if (problem) return `${field}: ${quoteUri(uri)} ${problem}`;
      // oidc-provider (after RFC 8252 §7.2) rejects claimed https loopback URIs for native apps.
      const parsed = parseUrl(uri)!;
      if (native && parsed.protocol === 'https:' && LOOPBACK_HOSTS.has(parsed.hostname)) {
        return `${field}: ${quoteUri(uri)} a native app (private-use scheme) must use http, not https, on a loopback host`;
      }
    }
  }
  const code = grants.includes('authorization_code');
  // RFC 6749 §4.4: client credentials need a client that can keep a secret.
  if (input.public && grants.includes('client_credentials')) return 'grant_types: a public client cannot use client_credentials';
  if (grants.includes('refresh_token') && !code) return 'grant_types: refresh_token needs authorization_code';
  if (code && input.redirectUris.length === 0) return 'redirect_uris: at least one redirect URI is required for authorization_code';
  if (!code && (input.redirectUris.length > 0 || input.postLogoutRedirectUris.length > 0)) {
    return 'redirect_uris: redirect URIs apply only to the authorization_code grant';
  }
  // RFC 9700 §2.1.1: a public client has nothing but PKCE to bind its code to.
  if (!input.requirePkce && input.public) return 'require_pkce: PKCE cannot be turned off for a public client';
  if (!input.requirePkce && !code) return 'require_pkce: PKCE applies only to the authorization_code grant';
  if (input.backchannelLogoutUri !== undefined) {
    const problem = backchannelLogoutUriProblem(input.backchannelLogoutUri);
    if (problem) return `backchannel_logout_uri: ${quoteUri(input.backchannelLogoutUri)} ${problem}`;
  } else if (input.backchannelLogoutSessionRequired) {
    return 'backchannel_logout_session_required: needs a backchannel_logout_uri';
  }
  const badScope = input.scope?.split(/\s+/).find((token) => !SCOPE_TOKEN.test(token));
  if (badScope !== undefined) return `scope: "${badScope}" is not a valid scope token`;
  return undefined;
}

/** Checks client input without touching storage; throws ValidationError with a one-line reason. */
export function parseClientInput(input: ClientInput): ClientRegistration {
  const parsed = clientInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = FIELD_NAMES[String(issue.path[0])] ?? 'input';
    throw new ValidationError(`${field}: ${issue.message}`);
  }
  const data = parsed.data;
  const grants = [...new Set(data.grants ?? DEFAULT_GRANTS)];
  const problem = checkRules(data, grants);
  if (problem) throw new ValidationError(problem);
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
  };
  return { confidential: !data.public, metadata };
}

export function createClientService(deps: { database: Queryable; secretBox: SecretBox; supportedScopes: readonly string[] }) {
  const repository = createClientRepository(deps);
  const offered = new Set(deps.supportedScopes);

  return {
    async register(input: ClientInput): Promise<RegisteredClient> {
      const { confidential, metadata } = parseClientInput(input);
      // oidc-provider refuses to load a client registered for a scope it does not offer.
      const unknownScope = String(metadata.scope).split(' ').find((scope) => !offered.has(scope));
      if (unknownScope !== undefined) {
        throw new ValidationError(`scope: "${unknownScope}" is not offered here (offered: ${[...offered].join(' ')})`);
      }
      // Hex, not base64url: an id starting with '-' would read as a flag on a command line.
      const clientId = randomBytes(16).toString('hex');
      const clientSecret = confidential ? randomBytes(32).toString('base64url') : undefined;
      const stored = { ...metadata, client_id: clientId, client_id_issued_at: Math.floor(Date.now() / 1000) };
      await repository.insertClient(clientId, clientSecret ? { ...stored, client_secret: clientSecret } : stored);
      return { clientId, ...(clientSecret ? { clientSecret } : {}), metadata: stored };
    },

    /** Every client, never with its secret. */
    list(): Promise<ClientSummary[]> {
      return repository.listClients();
    },
  };
}

