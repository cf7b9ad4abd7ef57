// A generic OpenID upstream (Okta, Auth0, Keycloak, another Gatehouse) found by discovery at its
// issuer, through openid-client: state, nonce and PKCE (S256) are checked by the library, the
// `iss` response parameter too when the upstream advertises it (RFC 9207), and with non-repudiation
// checks on, the ID token's signature against the upstream's JWKS — not only TLS (OIDC Core §3.1.3.7).
import * as client from 'openid-client';
import type { UpstreamConfig } from '../config.js';
import { amrOf, FederationError, profileOf, stringClaim, type RoundTrip, type Upstream, type UpstreamIdentity } from './upstream.js';

type OidcUpstreamConfig = Extract<UpstreamConfig, { kind: 'oidc' }>;

const TIMEOUT_SECONDS = 10;

function isUnreachable(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));
}

export function createOidcUpstream(config: OidcUpstreamConfig, options: { redirectUri: string; allowInsecureHttp: boolean }): Upstream {
  const { displayName } = config;
  const { redirectUri } = options;
  let discovered: Promise<client.Configuration> | undefined;
  let authorizationOrigin: string | undefined;

  /** Discovery once per process; a failure is forgotten so the next sign-in asks again. */
  function configuration(): Promise<client.Configuration> {
    discovered ??= client.discovery(
      new URL(config.issuer),
      config.clientId,
      undefined,
      config.clientSecret === undefined ? client.None() : client.ClientSecretBasic(config.clientSecret),
      {
        timeout: TIMEOUT_SECONDS,
        execute: [client.enableNonRepudiationChecks, ...(options.allowInsecureHttp ? [client.allowInsecureRequests] : [])],
      },
    ).then((found) => {
      const endpoint = found.serverMetadata().authorization_endpoint;
      authorizationOrigin = endpoint ? new URL(endpoint).origin : undefined;
      return found;
    }, (error: unknown) => {
      discovered = undefined;
      throw new FederationError(displayName, 'unavailable', { cause: error });
    });
    return discovered;
  }

  async function identityOf(found: client.Configuration, tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>): Promise<UpstreamIdentity> {
    const claims = tokens.claims();
    const subject = claims ? stringClaim(claims.sub, 255) : null;
    if (!claims || !subject) throw new FederationError(displayName, 'invalid');
    let profile: Record<string, unknown> = claims;
    // With the code flow many providers (Gatehouse among them) keep email and profile for userinfo.
    if (claims.email === undefined && config.scopes.includes('email')) {
      profile = { ...(await client.fetchUserInfo(found, tokens.access_token, subject)), ...claims };
    }
    const email = stringClaim(profile.email, 320);
    return {
      providerId: config.id, issuer: claims.iss, subject, email, emailVerified: email !== null && profile.email_verified === true,
      ...profileOf(profile), amr: amrOf(claims.amr),
    };
  }

  return {
    id: config.id,
    displayName,
    trustUpstreamMfa: config.trustUpstreamMfa,
    formTarget: () => authorizationOrigin ?? new URL(config.issuer).origin,
    async authorizationUrl(trip: RoundTrip) {
      return client.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        state: trip.state,
        nonce: trip.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(trip.codeVerifier),
        code_challenge_method: 'S256',
      });
    },
    async finish(callbackUrl: URL, trip: RoundTrip) {
      const found = await configuration();
      try {
        const tokens = await client.authorizationCodeGrant(found, callbackUrl, {
          pkceCodeVerifier: trip.codeVerifier,
          expectedState: trip.state,
          expectedNonce: trip.nonce,
          idTokenExpected: true,
        });
        return await identityOf(found, tokens);
      } catch (error) {
        if (error instanceof FederationError) throw error;
        throw new FederationError(displayName, isUnreachable(error) ? 'unavailable' : 'invalid', { cause: error });
      }
    },
  };
}
