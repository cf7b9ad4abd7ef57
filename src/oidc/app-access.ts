// Authorization data for apps: the `roles` and `groups` claims, limited per client to the roles it
// should see, and per-app access: a client may admit only people holding one of its required
// roles or belonging to one of its required groups. A person without it is stopped after sign-in
// (the app_access prompt, or access_denied under prompt=none) and at every later token request,
// so a refresh token stops working once access is taken away.
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { EffectiveAccess } from '../services/roles-and-groups.js';

/** Client metadata: `visible_roles` limits the roles claim; `required_roles` / `required_groups` admit (any one suffices). */
export const APP_ACCESS_METADATA = ['visible_roles', 'required_roles', 'required_groups'] as const;
type AppAccessMetadata = (typeof APP_ACCESS_METADATA)[number];

export type AccessOf = (accountId: string) => Promise<EffectiveAccess>;

export const APP_ACCESS_PROMPT = 'app_access';

const accessByRequest = new WeakMap<object, Map<string, Promise<EffectiveAccess>>>();

/**
 * accessOf, read once per request: one token response asks it for the access check, the ID token
 * and the access token alike.
 */
export function accessOncePerRequest(ctx: object, accessOf: AccessOf): AccessOf {
  return (accountId) => {
    let byAccount = accessByRequest.get(ctx);
    if (!byAccount) accessByRequest.set(ctx, (byAccount = new Map()));
    let access = byAccount.get(accountId);
    if (!access) byAccount.set(accountId, (access = accessOf(accountId)));
    return access;
  };
}
export const NO_ACCESS_DESCRIPTION = 'the account has no access to this application';

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const MAX_NAMES = 100;

/** A metadata value that must be a list of role or group names (the shape of their CHECK in migration 015). */
export function assertNameList(key: string, value: unknown, kind: 'role' | 'group'): void {
  if (!Array.isArray(value) || value.length > MAX_NAMES || !value.every((name) => typeof name === 'string' && NAME.test(name))) {
    throw new TypeError(`${key} must be a list of at most ${MAX_NAMES} ${kind} names`);
  }
}

/** extraClientMetadata's validator for these keys: a list of role or group names. */
export function validateAppAccessMetadata(key: string, value: unknown): void {
  if (!(APP_ACCESS_METADATA as readonly string[]).includes(key) || value === undefined) return;
  assertNameList(key, value, key === 'required_groups' ? 'group' : 'role');
}

function namesOf(client: unknown, key: AppAccessMetadata): string[] | undefined {
  const value = (client as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(value) ? value as string[] : undefined;
}

/** The roles a client may see: those in its visible_roles, or all of them when it names none (as the admin tools store "no limit"). */
export function rolesVisibleTo(client: unknown, roles: readonly string[]): string[] {
  const visible = namesOf(client, 'visible_roles');
  return visible && visible.length > 0 ? roles.filter((role) => visible.includes(role)) : [...roles];
}

/** True when the client admits everyone, or the person holds one of its roles or is in one of its groups. */
export function admits(client: unknown, access: EffectiveAccess): boolean {
  const roles = namesOf(client, 'required_roles') ?? [];
  const groups = namesOf(client, 'required_groups') ?? [];
  if (roles.length === 0 && groups.length === 0) return true;
  return roles.some((role) => access.roles.includes(role)) || groups.some((group) => access.groups.includes(group));
}

export function limitsAccess(client: unknown): boolean {
  return (namesOf(client, 'required_roles')?.length ?? 0) > 0 || (namesOf(client, 'required_groups')?.length ?? 0) > 0;
}

function scopeNames(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ') : [];
}

/** The roles and groups claims a token or userinfo answer carries, for the scopes it was granted. */
export async function authorizationClaims(
  accessOf: AccessOf, client: unknown, accountId: string, scope: unknown, requested: Record<string, unknown> = {},
): Promise<{ roles?: string[]; groups?: string[] }> {
  const scopes = scopeNames(scope);
  const wantsRoles = scopes.includes('roles') || 'roles' in requested;
  const wantsGroups = scopes.includes('groups') || 'groups' in requested;
  if (!wantsRoles && !wantsGroups) return {};
  const access = await accessOf(accountId);
  return {
    ...(wantsRoles ? { roles: rolesVisibleTo(client, access.roles) } : {}),
    ...(wantsGroups ? { groups: access.groups } : {}),
  };
}

/**
 * At the token endpoint: a client that limits access refuses a code or refresh token of a person
 * who no longer has it (RFC 6749 §5.2: the grant is no longer valid).
 */
export async function refuseWithoutAccess(ctx: KoaContextWithOIDC, accountId: string, accessOf: AccessOf): Promise<void> {
  const client = ctx.oidc.client;
  if (ctx.oidc.route !== 'token' || !limitsAccess(client)) return;
  // invalid_grant, but with our description: InvalidGrant's own is fixed ("grant request is invalid").
  if (!admits(client, await accessOf(accountId))) throw new errors.CustomOIDCProviderError('invalid_grant', NO_ACCESS_DESCRIPTION);
}

/**
 * The prompt after login: asked when the signed-in person may not use the client. It cannot be
 * passed; its page explains and returns access_denied to the app. Under prompt=none the app gets
 * access_denied at once.
 */
export function appAccessPrompt(accessOf: AccessOf): interactionPolicy.Prompt {
  return new interactionPolicy.Prompt(
    { name: APP_ACCESS_PROMPT, requestable: false },
    new interactionPolicy.Check('no_app_access', NO_ACCESS_DESCRIPTION, 'access_denied', async (ctx) => {
      const { client, session } = ctx.oidc;
      const accountId = session?.accountId;
      if (!accountId || !limitsAccess(client)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return admits(client, await accessOf(accountId)) ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
}
