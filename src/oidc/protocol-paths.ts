// Where oidc-provider serves its machine-facing endpoints, read from the provider's own router so
// a changed route or a disabled feature is followed without a second list to keep in step.
import type Provider from 'oidc-provider';

// Endpoints a client calls directly (not through a browser): their errors are RFC 6749 §5.2 JSON.
// The registration endpoint's path also prefixes RFC 7592's client configuration endpoint.
const API_ROUTES = ['token', 'introspection', 'revocation', 'pushed_authorization_request', 'userinfo', 'device_authorization', 'registration', 'jwks'] as const;
// RFC 7592 read, update and delete (at the registration path + /:clientId).
const CLIENT_CONFIGURATION_ROUTES = ['client', 'client_update', 'client_delete'];

function pathsOf(provider: Provider, routes: readonly string[]): string[] {
  const paths: string[] = [];
  for (const route of routes) {
    try {
      paths.push(provider.pathFor(route));
    } catch {
      // The feature is disabled: the provider has no such route.
    }
  }
  return paths;
}

/** Whether oidc-provider's route of this name answers clients, not browsers. */
export function isApiRoute(route: string | undefined): boolean {
  return [...API_ROUTES, ...CLIENT_CONFIGURATION_ROUTES].includes(route ?? '');
}

/** Paths of the endpoints that answer clients, not browsers. */
export function protocolApiPaths(provider: Provider): string[] {
  return pathsOf(provider, API_ROUTES);
}

// Endpoints whose every answer carries a token, a token's state, or an error about one: never kept
// by a cache (RFC 6749 §5.1, RFC 7662 §4, RFC 9126 §2.2, RFC 9700).
const NO_STORE_ROUTES = ['token', 'introspection', 'revocation', 'pushed_authorization_request'] as const;

/** Paths of the token, introspection, revocation and PAR endpoints. */
export function noStorePaths(provider: Provider): string[] {
  return pathsOf(provider, NO_STORE_ROUTES);
}
