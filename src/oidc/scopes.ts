// The scopes this provider offers. Kept apart from options.ts so that code which only needs the
// list (the CLI through the composition root) does not load oidc-provider.
import type { ResourceServerSettings } from '../config.js';
import { ADMIN_SCOPE } from '../paths.js';
import { PERSONAL_TOKEN_OIDC_SCOPES } from '../services/personal-access-tokens.js';

/** `roles` and `groups` ask for the person's effective roles and their groups (roles-and-groups.ts); `organizations` for the ids of their organisations. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'roles', 'groups', 'organizations'] as const;

/** Every scope a client may be registered for: the OIDC ones and each configured API's. */
export function supportedScopes(resourceServers: Record<string, ResourceServerSettings>): string[] {
  const apiScopes = Object.values(resourceServers).flatMap((server) => server.scope.split(/\s+/));
  return [...new Set([...OIDC_SCOPES, ...apiScopes])];
}

/**
 * What a person may put on a personal access token: their profile, email, roles and groups, and
 * each configured API's scopes. Never `admin`: the admin API takes only tokens from a sign-in.
 */
export function personalTokenScopes(resourceServers: Record<string, ResourceServerSettings>): string[] {
  const apiScopes = supportedScopes(resourceServers).filter((scope) => !(OIDC_SCOPES as readonly string[]).includes(scope) && scope !== ADMIN_SCOPE);
  return [...PERSONAL_TOKEN_OIDC_SCOPES, ...apiScopes];
}
