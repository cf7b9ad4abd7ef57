// The scopes this provider offers. Kept apart from options.ts so that code which only needs the
// list (the CLI through the composition root) does not load oidc-provider.
import type { ResourceServerSettings } from '../config.js';

/** `roles` and `groups` ask for the person's effective roles and their groups (roles-and-groups.ts); `organizations` for the ids of their organisations. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'roles', 'groups', 'organizations'] as const;

/** Every scope a client may be registered for: the OIDC ones and each configured API's. */
export function supportedScopes(resourceServers: Record<string, ResourceServerSettings>): string[] {
  const apiScopes = Object.values(resourceServers).flatMap((server) => server.scope.split(/\s+/));
  return [...new Set([...OIDC_SCOPES, ...apiScopes])];
}
