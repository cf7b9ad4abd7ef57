// First-party apps: Gatehouse's own pages (the account pages, the admin console), and clients an
// administrator marked `first_party: true` (admin API, console, CLI; dynamic registration refuses
// it, services/client-registration-policy.ts). They are run by the organisation that runs
// Gatehouse, so there is nothing for the person to consent to: their grant is implied, holding
// exactly what the request asks for (which the client's registered scope already bounds).
import type { KoaContextWithOIDC } from 'oidc-provider';
import { ACCOUNT_CLIENT_ID, ADMIN_CLIENT_ID } from '../paths.js';

export const FIRST_PARTY = 'first_party';

const BUILT_IN_FIRST_PARTY: ReadonlySet<string> = new Set([ACCOUNT_CLIENT_ID, ADMIN_CLIENT_ID]);

/** extraClientMetadata's validator for first_party: true or false. */
export function validateFirstParty(key: string, value: unknown): void {
  if (key === FIRST_PARTY && value !== undefined && typeof value !== 'boolean') throw new TypeError(`${FIRST_PARTY} must be a boolean`);
}

export function isFirstParty(client: { clientId: string; [key: string]: unknown }): boolean {
  return BUILT_IN_FIRST_PARTY.has(client.clientId) || client[FIRST_PARTY] === true;
}

type OidcContext = KoaContextWithOIDC['oidc'];
type Grant = InstanceType<OidcContext['provider']['Grant']>;

/** Adds to the grant everything this authorization request asks for: scopes, claims, and each API's scopes. */
export function grantRequested(grant: Grant, oidc: OidcContext): void {
  grant.addOIDCScope(new Set(['openid', ...oidc.requestParamOIDCScopes]));
  const claims = [...oidc.requestParamClaims];
  if (claims.length > 0) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const scopes = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope));
    if (scopes.length > 0) grant.addResourceScope(indicator, scopes);
  }
}
