// What a client may register about itself through dynamic registration (RFC 7591, and the full
// replacement of RFC 7592 §2.2). The metadata goes through the same rules as `clients add`
// (parseClientInput: RFC 9700 §2.1 exact redirect URIs, RFC 8252 for native apps, code flow only,
// PKCE for public clients), and a refusal carries the RFC 7591 §3.2.2 code. Pure: no storage.
//
// Only metadata Gatehouse understands is registered; the rest is ignored (RFC 7591 §2). Among what
// is ignored are the fields that would make Gatehouse fetch a URL the registrant chose
// (jwks_uri, sector_identifier_uri, request_uris): an anonymous registrant must not steer our
// outbound requests (OWASP SSRF Prevention Cheat Sheet).
import { AppError, ValidationError } from '../errors.js';
import { ADMIN_SCOPE } from '../paths.js';
import { parseClientInput, type ClientInput } from './clients.js';
import { LOOPBACK_HOSTS, MAX_REDIRECT_URIS, parseUrl } from './redirect-uris.js';

export type RegistrationErrorCode = 'invalid_client_metadata' | 'invalid_redirect_uri';

export class RegistrationMetadataError extends AppError {
  constructor(code: RegistrationErrorCode, message: string) {
    super(message, { status: 400, code });
  }
}

// Bounds checked before any field is read, so hostile JSON costs one cheap walk (ASVS 5.0 V4.3).
// The legitimate request is an object of arrays of strings: depth 2, a few dozen keys, short lists.
export const REGISTRATION_LIMITS = { depth: 3, arrayItems: MAX_REDIRECT_URIS, objectKeys: 64, stringLength: 2048 } as const;
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const DISPLAY_URIS = ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri'] as const;
const MAX_CONTACTS = 5;
const CONTACT = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}$/;
const AUTH_METHODS = new Set(['none', 'client_secret_basic', 'client_secret_post']);
const DEFAULT_NAME = 'Unnamed application';
const REDIRECT_FIELDS = ['redirect_uris', 'post_logout_redirect_uris'];

function refuse(message: string): never {
  throw new RegistrationMetadataError('invalid_client_metadata', message);
}

function shapeProblem(value: unknown, depth: number, path: string): string | undefined {
  if (typeof value === 'string') {
    if (value.length > REGISTRATION_LIMITS.stringLength) return `${path}: longer than ${REGISTRATION_LIMITS.stringLength} characters`;
    // Postgres refuses text holding U+0000.
    return value.includes('\u0000') ? `${path}: contains a NUL character` : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= REGISTRATION_LIMITS.depth) return `${path}: nested too deeply`;
  if (Array.isArray(value)) {
    if (value.length > REGISTRATION_LIMITS.arrayItems) return `${path}: more than ${REGISTRATION_LIMITS.arrayItems} items`;
    for (const [index, item] of value.entries()) {
      const problem = shapeProblem(item, depth + 1, `${path}.${index}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length > REGISTRATION_LIMITS.objectKeys) return `${path}: more than ${REGISTRATION_LIMITS.objectKeys} fields`;
  for (const key of keys) {
    // Prototype pollution (OWASP): such a key has no meaning in client metadata.
    if (POISON_KEYS.has(key) || key.includes('\u0000')) return `${path}: field name ${JSON.stringify(key)} is not allowed`;
    const problem = shapeProblem((value as Record<string, unknown>)[key], depth + 1, path === '' ? key : `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}

/** Refuses a request body that is not a plain, small JSON object, before any field is looked at. */
export function checkRegistrationShape(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) refuse('the request body must be a JSON object');
  const problem = shapeProblem(body, 0, '');
  if (problem) refuse(problem.replace(/^: /, ''));
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') refuse(`${field}: must be a string`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') refuse(`${field}: must be true or false`);
  return value;
}

function stringList(body: Record<string, unknown>, field: string, code: RegistrationErrorCode): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new RegistrationMetadataError(code, `${field}: must be an array of strings`);
  }
  return value as string[];
}

/** Pages shown about the client: https (or http on loopback), nothing a browser would run. */
function displayUri(body: Record<string, unknown>, field: string): string | undefined {
  const uri = optionalString(body, field);
  if (uri === undefined) return undefined;
  const parsed = parseUrl(uri);
  const allowed = parsed && (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)));
  if (!allowed) refuse(`${field}: must be an https URL`);
  if (parsed.username || parsed.password) refuse(`${field}: must not contain credentials`);
  return uri;
}

function toClientInput(body: Record<string, unknown>): { input: ClientInput; authMethod: string } {
  const authMethod = optionalString(body, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  if (!AUTH_METHODS.has(authMethod)) refuse('token_endpoint_auth_method: must be none, client_secret_basic or client_secret_post');
  // RFC 9700 §2.1.2: the authorization code is the only response type offered.
  const responseTypes = stringList(body, 'response_types', 'invalid_client_metadata');
  if (responseTypes && responseTypes.some((type) => type !== 'code')) refuse('response_types: only "code" is supported (RFC 9700 §2.1.2)');
  const grants = stringList(body, 'grant_types', 'invalid_client_metadata');
  const scope = optionalString(body, 'scope');
  const backchannelLogoutUri = optionalString(body, 'backchannel_logout_uri');
  const input: ClientInput = {
    name: optionalString(body, 'client_name') ?? DEFAULT_NAME,
    redirectUris: stringList(body, 'redirect_uris', 'invalid_redirect_uri') ?? [],
    postLogoutRedirectUris: stringList(body, 'post_logout_redirect_uris', 'invalid_redirect_uri') ?? [],
    public: authMethod === 'none',
    requirePkce: optionalBoolean(body, 'require_pkce') ?? true,
    backchannelLogoutSessionRequired: optionalBoolean(body, 'backchannel_logout_session_required') ?? false,
    ...(grants ? { grants: grants as ClientInput['grants'] } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ...(backchannelLogoutUri !== undefined ? { backchannelLogoutUri } : {}),
  };
  return { input, authMethod };
}

/**
 * The metadata to register for a registration or update request, checked by Gatehouse's client
 * rules; throws RegistrationMetadataError. client_id and client_secret, which an RFC 7592 update
 * repeats, are passed on for the provider to compare with the registered ones.
 */
export function registrationMetadata(body: unknown, offeredScopes: readonly string[]): Record<string, unknown> {
  const request = checkRegistrationShape(body);
  const { input, authMethod } = toClientInput(request);
  let metadata: Record<string, unknown>;
  try {
    metadata = parseClientInput(input).metadata;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = error.message.split(':')[0]!;
    throw new RegistrationMetadataError(REDIRECT_FIELDS.includes(field) ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.message);
  }
  // A first-party client skips the consent page: only an administrator may say so of a client.
  if (request.first_party !== undefined && request.first_party !== false) refuse('first_party: only an administrator marks a client first-party');
  const scopes = String(metadata.scope).split(' ');
  // The admin API's scope is for clients an administrator registers, never a self-registered one.
  if (scopes.includes(ADMIN_SCOPE)) refuse(`scope: "${ADMIN_SCOPE}" is given only to clients an administrator registers`);
  const unoffered = scopes.find((scope) => !offeredScopes.includes(scope));
  if (unoffered !== undefined) refuse(`scope: "${unoffered}" is not offered here`);
  const contacts = stringList(request, 'contacts', 'invalid_client_metadata');
  if (contacts && (contacts.length > MAX_CONTACTS || !contacts.every((contact) => CONTACT.test(contact)))) {
    refuse(`contacts: at most ${MAX_CONTACTS} email addresses`);
  }
  const clientId = optionalString(request, 'client_id');
  const clientSecret = optionalString(request, 'client_secret');
  const display = Object.fromEntries(DISPLAY_URIS.flatMap((field) => {
    const uri = displayUri(request, field);
    return uri === undefined ? [] : [[field, uri]];
  }));
  return {
    ...metadata,
    ...(authMethod === 'client_secret_post' ? { token_endpoint_auth_method: authMethod } : {}),
    ...display,
    ...(contacts ? { contacts } : {}),
    ...(clientId !== undefined ? { client_id: clientId } : {}),
    ...(clientSecret !== undefined ? { client_secret: clientSecret } : {}),
  };
}
