// Service accounts: a confidential client using client_credentials, to which an administrator gave
// roles (`service_roles`). Its access tokens carry them as the `roles` claim, in JWT access tokens
// and at introspection of opaque ones, so a resource server checks a machine's roles the way it
// checks a person's. They are carried whatever scope was asked: no person consents for a machine,
// and a resource server's scopes (RFC 8707) would otherwise filter the `roles` scope away. Only an
// administrator sets them (the admin API, the CLI): dynamic registration ignores the field
// (services/client-registration-policy.ts), so no client can give itself a role.
import { assertNameList } from './app-access.js';

export const SERVICE_ROLES = 'service_roles';

/** extraClientMetadata's validator for service_roles: a list of role names. */
export function validateServiceRoles(key: string, value: unknown): void {
  if (key === SERVICE_ROLES && value !== undefined) assertNameList(key, value, 'role');
}

/** The `roles` claim of a client_credentials token, when its client is a service account. */
export function serviceAccountClaims(client: unknown): { roles: string[] } | undefined {
  const roles = (client as Record<string, unknown> | undefined)?.[SERVICE_ROLES];
  return Array.isArray(roles) && roles.length > 0 ? { roles: roles.map(String) } : undefined;
}
