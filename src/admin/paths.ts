// Where the admin API lives and what a token must carry to use it. The API is a resource server
// of Gatehouse itself (RFC 8707): an admin's app asks for `resource=<issuer>/admin/api` and the
// `admin` scope, and gets a short-lived opaque access token only this node's stores can resolve.
import type { ResourceServerSettings } from '../settings-schema.js';

export const ADMIN_API_PATH = '/admin/api';
export const ADMIN_SCOPE = 'admin';

/** The admin API's resource indicator: the issuer's URL of it. */
export function adminApiResource(issuer: string): string {
  return `${issuer}${ADMIN_API_PATH}`;
}

/**
 * The configured APIs plus the admin API (config.ts refuses a configured one at its URL). Opaque tokens, so revoking one (or the grant behind it)
 * takes effect on the next request rather than at expiry.
 */
export function withAdminApi(
  issuer: string, configured: Record<string, ResourceServerSettings>, accessTokenTtlSeconds: number,
): Record<string, ResourceServerSettings> {
  return {
    ...configured,
    [adminApiResource(issuer)]: { scope: ADMIN_SCOPE, accessTokenFormat: 'opaque', jwtAlgorithm: 'ES256', accessTokenTtlSeconds },
  };
}
