// Organisations at the protocol edge. Scope `organizations` gives the `organizations` claim (the
// ids of the person's organisations). An authorization request for one organisation, by the
// `organization` parameter or the `organization:<id>` scope, gives tokens for it carrying
// `org_id` and `org_roles`.
//
// The chosen organisation travels as a claims request with a value (OIDC Core §5.5.1):
// `{"org_id": {"essential": true, "value": "<id>"}}` in both id_token and userinfo. oidc-provider
// keeps the claims request on the authorization code and on every refresh token made from it, so
// a refresh gives the same organisation whatever the refresh request says, and a token names at
// most the organisation its sign-in was for. Membership is checked after sign-in (access_denied)
// and again at every code exchange and refresh (invalid_grant), and org_roles are read afresh.
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { isUuid } from '../uuid.js';

export const ORGANIZATION_PARAM = 'organization';
export const ORGANIZATIONS_SCOPE = 'organizations';
const ORGANIZATION_SCOPE_PREFIX = 'organization:';
const ORGANIZATION_PROMPT = 'organization';

/** The claims config entries: a scope for the list, and two claims that come only with a chosen organisation. */
export const ORGANISATION_CLAIMS = { [ORGANIZATIONS_SCOPE]: ['organizations'], org_id: null, org_roles: null } as const;

/** What the provider needs from services/organisations.ts. */
export interface OrganisationMembership {
  organisationIdsOf(accountId: string): Promise<string[]>;
  membershipOf(organisationId: string, accountId: string): Promise<{ orgRoles: string[] } | undefined>;
}

export function notMemberDescription(organisationId: string): string {
  return `the account is not a member of organization ${organisationId}`;
}

/** invalid_grant saying why: oidc-provider's own description would say only that the grant is invalid. */
function notMemberGrantError(organisationId: string): InstanceType<typeof errors.InvalidGrant> {
  const error = new errors.InvalidGrant();
  error.error_description = notMemberDescription(organisationId);
  return error;
}

type ClaimsRequest = { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> } | undefined;

function requestedValue(section: Record<string, unknown> | undefined): string | undefined {
  const request = section?.org_id as { value?: unknown } | null | undefined;
  return typeof request?.value === 'string' ? request.value : undefined;
}

/** The organisation a claims request (of an authorization, a code, a refresh or access token) names. */
export function organisationRequestedIn(claims: unknown): string | undefined {
  const request = claims as ClaimsRequest;
  return requestedValue(request?.id_token) ?? requestedValue(request?.userinfo);
}

function parseClaims(value: unknown): ClaimsRequest {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as ClaimsRequest;
  } catch {
    return undefined;
  }
}

function organisationsNamed(params: Record<string, unknown>): Set<string> {
  const scopes = typeof params.scope === 'string' ? params.scope.split(' ') : [];
  const named = new Set<string>();
  if (typeof params[ORGANIZATION_PARAM] === 'string') named.add(params[ORGANIZATION_PARAM]);
  for (const scope of scopes) if (scope.startsWith(ORGANIZATION_SCOPE_PREFIX)) named.add(scope.slice(ORGANIZATION_SCOPE_PREFIX.length));
  const fromClaims = organisationRequestedIn(parseClaims(params.claims));
  if (fromClaims !== undefined) named.add(fromClaims);
  return new Set([...named].map((id) => id.toLowerCase()));
}

/** The one organisation an authorization request names, if any; InvalidRequest for two, or for one that is not an id. */
function organisationNamedBy(params: Record<string, unknown>): string | undefined {
  const named = organisationsNamed(params);
  if (named.size > 1) throw new errors.InvalidRequest('the request names more than one organization');
  const id = [...named][0];
  if (id !== undefined && !isUuid(id)) throw new errors.InvalidRequest('organization must be the id of an organization');
  return id;
}

/**
 * Called where oidc-provider resolves the resource of an authorization request, which is the
 * last step before it drops the scopes it does not know (`organization:<id>` among them) from a
 * request without a resource: the scope form is turned into the `organization` parameter there.
 */
export function noteOrganizationScope(ctx: KoaContextWithOIDC): void {
  if (ctx.oidc.route === 'token') return;
  const params = ctx.oidc.params as Record<string, unknown>;
  const id = organisationNamedBy(params);
  if (id !== undefined) params[ORGANIZATION_PARAM] = id;
}

/**
 * The extraParams validator of `organization`, run at the authorization endpoints after the
 * claims parameter is checked: every way of naming an organisation (the parameter, the scope, a
 * claims request with a value) must agree on one well-formed id, which is then written into the
 * claims request so that it is kept with the code and its refresh tokens. The organizations
 * scope asks for its claim in the ID token as well, where oidc-provider puts only claims asked
 * for by name once an access token is issued.
 */
export function acceptOrganizationParam(ctx: KoaContextWithOIDC): void {
  const params = ctx.oidc.params as Record<string, unknown>;
  const id = organisationNamedBy(params);
  const wantsList = typeof params.scope === 'string' && params.scope.split(' ').includes(ORGANIZATIONS_SCOPE);
  if (id === undefined && !wantsList) return;
  const claims = parseClaims(params.claims) ?? {};
  if (wantsList) claims.id_token = { ...claims.id_token, organizations: null };
  if (id !== undefined) {
    params[ORGANIZATION_PARAM] = id;
    const wanted = { org_id: { essential: true, value: id }, org_roles: { essential: true } };
    claims.id_token = { ...claims.id_token, ...wanted };
    // Userinfo answers only where an access token is issued (OIDC Core §5.5).
    if (typeof params.response_type !== 'string' || params.response_type.split(' ').some((type) => type === 'code' || type === 'token')) {
      claims.userinfo = { ...claims.userinfo, ...wanted };
    }
  }
  params.claims = JSON.stringify(claims);
}

/**
 * After sign-in: a person asking for an organisation they are not in is refused before any
 * consent, with a description the app can show (access_denied, also under prompt=none).
 */
export function organisationPrompt(membership: OrganisationMembership): interactionPolicy.Prompt {
  return new interactionPolicy.Prompt(
    { name: ORGANIZATION_PROMPT, requestable: false },
    new interactionPolicy.Check('not_an_organization_member', 'the account is not a member of the organization', 'access_denied', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const organisationId = organisationRequestedIn(ctx.oidc.claims);
      if (!accountId || !organisationId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (!(await membership.membershipOf(organisationId, accountId))) throw new errors.AccessDenied(notMemberDescription(organisationId));
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
}

/**
 * At the token endpoint: a code or refresh token for an organisation the person has left (or
 * that was deleted) is no longer a valid grant (RFC 6749 §5.2).
 */
export async function refuseOutsideOrganisation(
  ctx: KoaContextWithOIDC, accountId: string, token: unknown, membership: OrganisationMembership,
): Promise<void> {
  if (ctx.oidc.route !== 'token') return;
  const organisationId = organisationRequestedIn((token as { claims?: unknown } | undefined)?.claims);
  if (organisationId && !(await membership.membershipOf(organisationId, accountId))) {
    throw notMemberGrantError(organisationId);
  }
}

/**
 * The claims request an access token was issued under: its own, or for an API's access token
 * (which oidc-provider issues without one) that of the code or refresh token being exchanged.
 */
export function claimsRequestOfAccessToken(ctx: KoaContextWithOIDC, token: unknown): unknown {
  const own = (token as { claims?: unknown }).claims;
  if (own) return own;
  const { AuthorizationCode: code, RefreshToken: refresh } = ctx.oidc.entities as { AuthorizationCode?: { claims?: unknown }; RefreshToken?: { claims?: unknown } };
  return refresh?.claims ?? code?.claims;
}

/**
 * The organisation claims of an ID token, userinfo answer or access token: `organizations` for the
 * scope, `org_id` and `org_roles` when the claims request names an organisation the person is
 * still in (otherwise neither, never another organisation's).
 */
export async function organisationClaims(
  membership: OrganisationMembership, accountId: string, scope: unknown, requested: unknown,
): Promise<{ organizations?: string[]; org_id?: string; org_roles?: string[] }> {
  const scopes = typeof scope === 'string' ? scope.split(' ') : [];
  const wantsList = scopes.includes(ORGANIZATIONS_SCOPE) || (typeof requested === 'object' && requested !== null && 'organizations' in requested);
  const organisationId = organisationRequestedIn(requested) ?? requestedValue(requested as Record<string, unknown> | undefined);
  const organizations = wantsList ? await membership.organisationIdsOf(accountId) : undefined;
  const member = organisationId ? await membership.membershipOf(organisationId, accountId) : undefined;
  return {
    ...(organizations ? { organizations } : {}),
    ...(member && organisationId ? { org_id: organisationId, org_roles: member.orgRoles } : {}),
  };
}
