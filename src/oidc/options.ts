// oidc-provider configuration as a pure function of its inputs. Only provider.ts turns it into
// a Provider. Security choices cite RFC 9700 (OAuth 2.0 Security BCP).
import { SUPPORTED_LOCALES } from '../i18n/locales.js';
import { errors, type Configuration, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { JWK } from 'jose';
import type { ResourceServerSettings, Settings } from '../config.js';
import { CLIENT_TTL_BOUNDS } from '../services/client-input.js';
import { ACCOUNT_CLIENT_ID, ADMIN_CLIENT_ID, PERSONAL_TOKENS_CLIENT_ID, accountCallbackUrl, adminCallbackUrl } from '../paths.js';
import { createLoadExistingGrant, type RememberedConsent } from './existing-grant.js';
import { FIRST_PARTY, validateFirstParty } from './first-party.js';
import { APP_ACCESS_METADATA, accessOncePerRequest, appAccessPrompt, authorizationClaims, validateAppAccessMetadata, type AccessOf } from './app-access.js';
import {
  ORGANISATION_CLAIMS, ORGANIZATION_PARAM, acceptOrganizationParam, claimsRequestOfAccessToken, noteOrganizationScope, organisationClaims, organisationPrompt,
  type OrganisationMembership,
} from './organisations.js';
import { providerCookies } from './provider-cookies.js';
import { registrationFeatures, type InitialAccessTokens, type RegistrationMode } from './registration.js';
import { supportedScopes } from './scopes.js';
import { SERVICE_ROLES, serviceAccountClaims, validateServiceRoles } from './service-accounts.js';
import { ACR_VALUES, buildInteractionPolicy } from './two-factor-policy.js';

/** Custom client metadata: `require_pkce: false` opts a legacy confidential client out of PKCE. */
export const REQUIRE_PKCE = 'require_pkce';
/** Custom client metadata: the client's own token lifetimes in seconds (bounded by services/client-input.ts). */
export const CLIENT_TTL_METADATA = ['access_token_ttl', 'id_token_ttl', 'refresh_token_ttl'] as const;
type ClientTtlName = (typeof CLIENT_TTL_METADATA)[number];


export const STANDARD_CLAIMS = {
  // amr and acr ride on openid so every ID token says how the person signed in (OIDC Core §2);
  // idp names the upstream of a federated sign-in (amr 'fed', RFC 8176). roles and groups ride on it
  // too, so a code flow's ID token carries them (oidc-provider keeps other scopes' claims to userinfo
  // there); findAccount gives them only when their own scope was granted (app-access.ts).
  openid: ['sub', 'amr', 'acr', 'idp', 'roles', 'groups'],
  profile: ['name', 'given_name', 'family_name', 'updated_at'],
  email: ['email', 'email_verified'],
  // Effective roles (own and through groups) and group names: app-access.ts.
  roles: ['roles'],
  groups: ['groups'],
};

export interface ProviderOptionsInput {
  issuer: string;
  adapter: NonNullable<Configuration['adapter']>;
  findAccount: NonNullable<Configuration['findAccount']>;
  signingKeys: JWK[];
  cookieSecrets: string[];
  ttlSeconds: Settings['ttlSeconds'];
  sessions: Pick<Settings['sessions'], 'rememberMeSeconds' | 'browserSessionSeconds' | 'idleTimeoutSeconds'>;
  resourceServers: Record<string, ResourceServerSettings>;
  /** dynamicRegistration.mode, and how a limited initial access token's uses are counted. */
  registration?: { mode: RegistrationMode; spendUse: InitialAccessTokens['spendUse'] } | undefined;
  /** twoFactor.policy.requiredForClients: clients whose sign-ins always include a second factor. */
  twoFactorClients: readonly string[];
  /** Set when twoFactor.policy.mode is 'required' or requiredForRoles names roles: whether this account must still enrol a second factor. */
  lacksRequiredSecondFactor?: (accountId: string) => Promise<boolean>;
  /** An account's effective roles and groups: claims, JWT access tokens, introspection and per-app access. */
  accessOf: AccessOf;
  /** Organisation memberships: the organizations, org_id and org_roles claims, and who may ask for which organisation. */
  organisations: OrganisationMembership;
  /** What a person allowed an app before: a new session starts from it (existing-grant.ts). */
  rememberedConsent: RememberedConsent;
  pages: {
    renderError: NonNullable<Configuration['renderError']>;
    logoutSource: (ctx: KoaContextWithOIDC, form: string) => Promise<void>;
    postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => Promise<void>;
  };
}

type ClientLike = { clientAuthMethod: string; [key: string]: unknown };

// RFC 9700 §2.1.1: PKCE for every client; a confidential client may opt out explicitly,
// a public client never can (it has nothing else to bind the code to).
export function isPkceRequired(client: ClientLike): boolean {
  if (client.clientAuthMethod === 'none') return true;
  return client[REQUIRE_PKCE] !== false;
}

/**
 * A token's lifetime: the client's own when it sets one, else the default; an API's own lifetime
 * (RFC 8707 resource) caps it, and `max` (a configured ceiling) always does.
 */
export function clientTtlSeconds(
  client: unknown, name: ClientTtlName, fallbackSeconds: number, caps: { apiSeconds?: number | undefined; maxSeconds?: number } = {},
): number {
  const own = (client as Record<string, unknown> | undefined)?.[name];
  const chosen = typeof own === 'number' ? Math.min(own, caps.apiSeconds ?? Infinity) : caps.apiSeconds ?? fallbackSeconds;
  return Math.min(chosen, caps.maxSeconds ?? Infinity);
}

/** oidc-provider's default introspection policy, and a token of a deleted client is never active. */
const introspectionAllowed: NonNullable<NonNullable<Configuration['features']>['introspection']>['allowedPolicy'] = async (ctx, client, token) => {
  if (client.clientAuthMethod === 'none' && token.clientId !== client.clientId) return false;
  return token.clientId === client.clientId || (await ctx.oidc.provider.Client.find(token.clientId!)) !== undefined;
};


/** RFC 8707: only configured APIs may be named as a resource; anything else is invalid_target. */
export function resourceServerInfo(resourceServers: Record<string, ResourceServerSettings>, resource: string): ResourceServer {
  const server = Object.hasOwn(resourceServers, resource) ? resourceServers[resource] : undefined;
  if (!server) throw new errors.InvalidTarget(`resource ${resource} is not a registered API`);
  return {
    scope: server.scope,
    audience: resource,
    accessTokenFormat: server.accessTokenFormat,
    ...(server.accessTokenTtlSeconds ? { accessTokenTTL: server.accessTokenTtlSeconds } : {}),
    ...(server.accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: server.jwtAlgorithm } } } : {}),
  };
}

/**
 * A session's lifetime from now, computed on every save (every use at the provider): the idle
 * timeout, but never past the absolute limit counted from the sign-in — rememberMeSeconds when
 * the person chose "remember me", browserSessionSeconds when not (OWASP Session Management Cheat
 * Sheet: idle and absolute timeouts).
 */
export function sessionTtlSeconds(
  sessions: ProviderOptionsInput['sessions'],
  session: { loginTs?: number | undefined; transient?: boolean | undefined },
  nowSeconds: number,
): number {
  const absolute = session.transient ? sessions.browserSessionSeconds : sessions.rememberMeSeconds;
  const startedAt = session.loginTs ?? nowSeconds;
  return Math.max(1, Math.min(sessions.idleTimeoutSeconds, startedAt + absolute - nowSeconds));
}

/** The app_access prompt right after login: nothing is consented to for an app the person may not use. */
function withAppAccess(policy: ReturnType<typeof buildInteractionPolicy>, accessOf: AccessOf) {
  policy.add(appAccessPrompt(accessOf), policy.findIndex((prompt) => prompt.name === 'login') + 1);
  return policy;
}

/** Then the organisation check: a person is refused an organisation they are not in before any consent. */
function withOrganisations(policy: ReturnType<typeof buildInteractionPolicy>, organisations: OrganisationMembership) {
  policy.add(organisationPrompt(organisations), policy.findIndex((prompt) => prompt.name === 'login') + 1);
  return policy;
}

export function buildProviderOptions(input: ProviderOptionsInput): Configuration {
  const { ttlSeconds } = input;
  return {
    adapter: input.adapter,
    clients: [{
      client_id: ACCOUNT_CLIENT_ID,
      client_name: 'your Gatehouse account',
      token_endpoint_auth_method: 'none',
      redirect_uris: [accountCallbackUrl(input.issuer)],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }, {
      client_id: ADMIN_CLIENT_ID,
      client_name: 'the Gatehouse admin console',
      token_endpoint_auth_method: 'none',
      redirect_uris: [adminCallbackUrl(input.issuer)],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }, {
      // No grant: its tokens are personal access tokens, made on the account pages (personal-access-tokens.ts).
      client_id: PERSONAL_TOKENS_CLIENT_ID,
      client_name: 'personal access tokens',
      token_endpoint_auth_method: 'none',
      redirect_uris: [],
      grant_types: [],
      response_types: [],
    }],
    loadExistingGrant: createLoadExistingGrant(input.rememberedConsent),
    findAccount: input.findAccount,
    jwks: { keys: input.signingKeys as NonNullable<Configuration['jwks']>['keys'] },
    cookies: providerCookies({ issuer: input.issuer, keys: input.cookieSecrets }),
    // RFC 9700 §2.1.2: the implicit and hybrid flows are not offered.
    responseTypes: ['code'],
    pkce: { required: (_ctx, client) => isPkceRequired(client as unknown as ClientLike) },
    scopes: supportedScopes(input.resourceServers),
    claims: { ...STANDARD_CLAIMS, ...ORGANISATION_CLAIMS },
    // The organisation an app signs the person in for (organisations.ts); also `organization:<id>` as a scope.
    extraParams: { [ORGANIZATION_PARAM]: acceptOrganizationParam },
    acrValues: [...ACR_VALUES],
    // The languages the hosted pages are written in; `ui_locales` picks among them (http/locale.ts).
    discovery: { claim_types_supported: ['normal'], ui_locales_supported: [...SUPPORTED_LOCALES] },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      // Every ID token says when the person signed in.
      require_auth_time: true,
    },
    extraClientMetadata: {
      properties: [REQUIRE_PKCE, ...CLIENT_TTL_METADATA, ...APP_ACCESS_METADATA, SERVICE_ROLES, FIRST_PARTY],
      validator(_ctx, key, value, metadata) {
        if (value === undefined) return;
        validateAppAccessMetadata(key, value);
        validateServiceRoles(key, value);
        validateFirstParty(key, value);
        // The client service's bounds, for clients registered dynamically too (RFC 7591); a
        // refresh lifetime past ttlSeconds.refreshToken (which may be lowered later) is capped when used.
        if ((CLIENT_TTL_METADATA as readonly string[]).includes(key)) {
          const max = key === 'refresh_token_ttl' ? Number.MAX_SAFE_INTEGER : CLIENT_TTL_BOUNDS.maxAccessSeconds;
          if (!Number.isSafeInteger(value) || (value as number) < CLIENT_TTL_BOUNDS.minSeconds || (value as number) > max) {
            throw new TypeError(`${key} must be a whole number of seconds from ${CLIENT_TTL_BOUNDS.minSeconds}${key === 'refresh_token_ttl' ? '' : ` to ${max}`}`);
          }
        }
        if (key !== REQUIRE_PKCE) return;
        if (typeof value !== 'boolean') throw new TypeError(`${REQUIRE_PKCE} must be a boolean`);
        if (value === false && metadata.token_endpoint_auth_method === 'none') {
          throw new TypeError(`${REQUIRE_PKCE} cannot be false for a public client`);
        }
      },
    },
    // RFC 9700 §4.14.2: refresh tokens of every client rotate; reuse of a rotated one revokes the grant.
    rotateRefreshToken: true,
    // A client allowed the refresh_token grant gets one with every code exchange. With
    // offline_access it outlives the sign-in (OIDC Core §11); without, it is bound to the browser
    // session and dies with sign-out, like the access tokens issued beside it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // The roles and groups claims in JWT access tokens, and at introspection of opaque ones: read
    // when the token is issued, so a role change reaches the next token (the next refresh).
    // An API's access token (RFC 8707) carries only the API's scopes, so the code or refresh token
    // it comes from says whether the person allowed the app their roles and groups. A
    // client_credentials token has no person: a service account's own roles (service-accounts.ts).
    extraTokenClaims: async (ctx, token) => {
      const { accountId, scope, kind } = token as { accountId?: string; scope?: string; kind?: string };
      if (!accountId) return kind === 'ClientCredentials' ? serviceAccountClaims(ctx.oidc.client) : undefined;
      const { AuthorizationCode, RefreshToken } = ctx.oidc.entities;
      const requested = token.resourceServer ? (AuthorizationCode ?? RefreshToken)?.scope : undefined;
      const scopes = [scope, requested].filter(Boolean).join(' ');
      const claims = {
        ...await authorizationClaims(accessOncePerRequest(ctx, input.accessOf), ctx.oidc.client, accountId, scopes),
        ...await organisationClaims(input.organisations, accountId, scope, claimsRequestOfAccessToken(ctx, token)),
      };
      return Object.keys(claims).length > 0 ? claims : undefined;
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      claimsParameter: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A token request without `resource` gets the one granted at authorization, if any.
        useGrantedResource: () => true,
        // oidc-provider's default answer (none, or the one given), after keeping the organization:<id> scope.
        defaultResource: (ctx, _client, oneOf) => {
          noteOrganizationScope(ctx);
          return oneOf;
        },
        getResourceServerInfo: (_ctx, resource) => resourceServerInfo(input.resourceServers, resource),
      },
      // OpenID Back-Channel Logout 1.0: clients may register backchannel_logout_uri; every
      // notice goes through the outbox (see backchannel-logout.ts), never a single direct attempt.
      backchannelLogout: { enabled: true },
      ...registrationFeatures(input.registration?.mode ?? 'off', input.registration?.spendUse ?? (async () => false)),
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: input.pages.logoutSource,
        postLogoutSuccessSource: input.pages.postLogoutSuccessSource,
      },
    },
    interactions: {
      policy: withOrganisations(withAppAccess(buildInteractionPolicy(input.twoFactorClients, input.lacksRequiredSecondFactor), input.accessOf), input.organisations),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: input.pages.renderError,
    ttl: {
      // A client's own lifetime, or the default; an API's own lifetime, when it sets one, caps it.
      AccessToken: (_ctx, token, client) => clientTtlSeconds(client, 'access_token_ttl', ttlSeconds.accessToken, { apiSeconds: token.resourceServer?.accessTokenTTL }),
      AuthorizationCode: ttlSeconds.authorizationCode,
      ClientCredentials: (_ctx, token, client) => clientTtlSeconds(client, 'access_token_ttl', ttlSeconds.clientCredentials, { apiSeconds: token.resourceServer?.accessTokenTTL }),
      IdToken: (_ctx, _token, client) => clientTtlSeconds(client, 'id_token_ttl', ttlSeconds.idToken),
      Interaction: ttlSeconds.interaction,
      Session: (_ctx, session) => sessionTtlSeconds(input.sessions, session, Math.floor(Date.now() / 1000)),
      Grant: ttlSeconds.grant,
      RefreshToken: (_ctx, _token, client) => clientTtlSeconds(client, 'refresh_token_ttl', ttlSeconds.refreshToken, { maxSeconds: ttlSeconds.refreshToken }),
    },
  };
}
