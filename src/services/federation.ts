// Upstream identity providers. Google and Microsoft Entra ID go through arctic, which
// was deprecated upstream in 2026: it is pinned and imported nowhere but here, behind Upstream
// (services/upstream.ts). arctic only spends the code; the ID token is checked here with jose
// against the provider's JWKS (OIDC Core §3.1.3.7). Generic OpenID upstreams: federation-oidc.ts.
import { ArcticFetchError, Google, MicrosoftEntraId, UnexpectedResponseError } from 'arctic';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { UpstreamConfig } from '../config.js';
import { isUuid } from '../uuid.js';
import { createOidcUpstream } from './federation-oidc.js';
import { safeEqual } from '../crypto/safe-equal.js';
import { amrOf, FederationError, profileOf, stringClaim, type RoundTrip, type Upstream, type UpstreamIdentity } from './upstream.js';

const SCOPES = ['openid', 'email', 'profile'];
const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];
const GOOGLE_JWKS = 'https://www.googleapis.com/oauth2/v3/certs';
const MICROSOFT_ORIGIN = 'https://login.microsoftonline.com';

interface CodeClient {
  createAuthorizationURL(state: string, codeVerifier: string, scopes: string[]): URL;
  validateAuthorizationCode(code: string, codeVerifier: string): Promise<{ idToken(): string }>;
}

/** The parts that differ between the arctic-backed providers. */
interface ArcticProvider {
  id: string;
  displayName: string;
  client: CodeClient;
  jwksUrl: string;
  /** jose's issuer check, or undefined when identityOf checks it (Entra's per-tenant issuer). */
  issuers: string[] | undefined;
  clientId: string;
  identityOf(payload: JWTPayload): UpstreamIdentity | undefined;
}

/** Network trouble says "try later"; anything else about the answer says "could not verify". */
function failureOf(displayName: string, error: unknown): FederationError {
  if (error instanceof FederationError) return error;
  // A TypeError is fetch failing (jose's JWKS request); UnexpectedResponseError an upstream 5xx.
  const unreachable = error instanceof ArcticFetchError || error instanceof UnexpectedResponseError
    || error instanceof joseErrors.JWKSTimeout || error instanceof TypeError;
  return new FederationError(displayName, unreachable ? 'unavailable' : 'invalid', { cause: error });
}

function arcticUpstream(provider: ArcticProvider): Upstream {
  const { displayName, client } = provider;
  const jwks = createRemoteJWKSet(new URL(provider.jwksUrl));
  // The authorization endpoint is fixed per provider: its origin, once, for the login form's CSP.
  const authorizationOrigin = new URL(client.createAuthorizationURL('s', 'v', SCOPES).href).origin;
  return {
    id: provider.id,
    displayName,
    trustUpstreamMfa: false,
    formTarget: () => authorizationOrigin,
    async authorizationUrl(trip: RoundTrip) {
      const url = client.createAuthorizationURL(trip.state, trip.codeVerifier, SCOPES);
      // arctic leaves the nonce to us; it binds the ID token to this round trip (OIDC Core §3.1.2.1).
      url.searchParams.set('nonce', trip.nonce);
      return url;
    },
    async finish(callbackUrl: URL, trip: RoundTrip) {
      const code = callbackUrl.searchParams.get('code');
      if (!code || code.length > 2048) throw new FederationError(displayName, 'invalid');
      try {
        const tokens = await client.validateAuthorizationCode(code, trip.codeVerifier);
        const { payload } = await jwtVerify(tokens.idToken(), jwks, {
          audience: provider.clientId,
          ...(provider.issuers ? { issuer: provider.issuers } : {}),
          algorithms: ['RS256'],
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce'],
        });
        if (typeof payload.nonce !== 'string' || !safeEqual(payload.nonce, trip.nonce)) throw new FederationError(displayName, 'invalid');
        const identity = provider.identityOf(payload);
        if (!identity) throw new FederationError(displayName, 'invalid');
        return identity;
      } catch (error) {
        throw failureOf(displayName, error);
      }
    },
  };
}

function googleIdentity(payload: JWTPayload): UpstreamIdentity | undefined {
  const subject = stringClaim(payload.sub, 255);
  if (!subject) return undefined;
  const email = stringClaim(payload.email, 320);
  return {
    providerId: 'google', issuer: GOOGLE_ISSUERS[0]!, subject, email, emailVerified: email !== null && payload.email_verified === true,
    ...profileOf(payload), amr: amrOf(payload.amr),
  };
}

/**
 * Entra's issuer names the tenant (`tid`); the person is the object id `oid` in it — `sub` is
 * per-application and `email` is mutable and unverified. The address counts as verified only with
 * the optional claim `xms_edov` (the email domain's owner is verified), which an operator turns on.
 */
function microsoftIdentity(tenant: string, payload: JWTPayload): UpstreamIdentity | undefined {
  const tid = stringClaim(payload.tid, 36);
  const oid = stringClaim(payload.oid, 36);
  if (!tid || !oid || !isUuid(tid) || !isUuid(oid)) return undefined;
  if (payload.iss !== `${MICROSOFT_ORIGIN}/${tid}/v2.0`) return undefined;
  if (isUuid(tenant) && tid.toLowerCase() !== tenant.toLowerCase()) return undefined;
  const email = stringClaim(payload.email, 320);
  return {
    providerId: 'microsoft', issuer: payload.iss, subject: oid.toLowerCase(), email, emailVerified: email !== null && payload.xms_edov === true,
    ...profileOf(payload), amr: amrOf(payload.amr),
  };
}

export interface UpstreamOptions {
  /** The per-provider callback URL (mix-up defence: each provider has its own). */
  callbackUrl: (providerId: string) => string;
  /** Generic upstreams on http:// (development and tests); production config refuses them. */
  allowInsecureHttp: boolean;
}

/** One Upstream per configured provider, in the configured order. */
export function createUpstreams(configs: readonly UpstreamConfig[], options: UpstreamOptions): Upstream[] {
  return configs.map((config) => {
    const redirectUri = options.callbackUrl(config.id);
    if (config.kind === 'google') {
      return arcticUpstream({
        id: config.id, displayName: config.displayName, clientId: config.clientId, jwksUrl: GOOGLE_JWKS, issuers: GOOGLE_ISSUERS,
        client: new Google(config.clientId, config.clientSecret, redirectUri), identityOf: googleIdentity,
      });
    }
    if (config.kind === 'microsoft') {
      return arcticUpstream({
        id: config.id, displayName: config.displayName, clientId: config.clientId, issuers: undefined,
        jwksUrl: `${MICROSOFT_ORIGIN}/${encodeURIComponent(config.tenant)}/discovery/v2.0/keys`,
        client: new MicrosoftEntraId(config.tenant, config.clientId, config.clientSecret, redirectUri),
        identityOf: (payload) => microsoftIdentity(config.tenant, payload),
      });
    }
    return createOidcUpstream(config, { redirectUri, allowInsecureHttp: options.allowInsecureHttp && config.issuer.startsWith('http://') });
  });
}

export { FederationError, newRoundTrip, type RoundTrip, type Upstream, type UpstreamIdentity } from './upstream.js';
