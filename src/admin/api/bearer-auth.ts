// Who is calling the admin API: an OAuth 2.0 bearer token (RFC 6750 §2.1, header only) that this
// provider issued for the admin API resource with the `admin` scope, whose grant still stands, of
// an active account that holds the `admin` role now. The role is read on every request, so taking
// it away (`gatehouse users roles --remove admin`) takes effect at once, not at token expiry.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { requestMeta } from '../../http/request-meta.js';
import type { AuditLog } from '../../services/audit.js';
import { ADMIN_ROLE, type User, type UserService } from '../../services/users.js';
import { ADMIN_SCOPE, adminApiResource } from '../../paths.js';

export interface AdminCaller {
  accountId: string;
  email: string;
  clientId: string;
  /** When the token expires (epoch ms): a long-lived answer (the event stream) ends then. */
  tokenExpiresAt: number;
  /** Whether the account is still an active admin: for answers that outlive the request's check. */
  stillAdmin(): Promise<boolean>;
}

// RFC 6750 §2.1 b64token; anything longer than our opaque tokens (43 characters) by far is not one.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*)$/i;
const REALM = 'Gatehouse admin API';

/** RFC 6750 §3: the challenge, and the JSON body every admin API error has. */
export function refuse(ctx: Koa.Context, status: 401 | 403, error: string | undefined, description: string): void {
  const params = [`realm="${REALM}"`];
  // §3.1: a request without credentials gets no error code, only the challenge.
  // RFC 6750 §3 allows no double quote or backslash in error_description: the header's copy uses single quotes.
  if (error) params.push(`error="${error}"`, `error_description="${description.replace(/["\\]/g, "'")}"`);
  if (error === 'insufficient_scope') params.push(`scope="${ADMIN_SCOPE}"`);
  ctx.status = status;
  ctx.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: error ?? 'invalid_request', error_description: description };
}

export function adminCallerOf(ctx: Koa.Context): AdminCaller {
  const caller = (ctx.state as { admin?: AdminCaller }).admin;
  if (!caller) throw new Error('admin API route reached without authentication');
  return caller;
}

export function createAdminAuthentication(deps: { provider: Provider; users: UserService; audit: AuditLog; issuer: string }): Koa.Middleware {
  const { provider, users, audit } = deps;
  const resource = adminApiResource(deps.issuer);

  /** The account, when it is active and holds the admin role now. */
  async function activeAdmin(accountId: string): Promise<{ user: User | undefined; isAdmin: boolean }> {
    const [user, roles] = await Promise.all([users.findById(accountId), users.effectiveRolesOf(accountId)]);
    return { user, isAdmin: user?.status === 'active' && roles.includes(ADMIN_ROLE) };
  }

  return async function authenticateAdmin(ctx, next) {
    const header = ctx.get('authorization');
    if (!header) {
      refuse(ctx, 401, undefined, 'an admin access token is required (Authorization: Bearer …)');
      return;
    }
    const match = BEARER.exec(header);
    if (!match) {
      refuse(ctx, 401, 'invalid_request', 'the Authorization header must be "Bearer" and an access token');
      return;
    }
    const token = await provider.AccessToken.find(match[1]!);
    const audience = token ? [token.aud ?? []].flat() : [];
    if (!token || !token.accountId || !audience.includes(resource)) {
      refuse(ctx, 401, 'invalid_token', `the access token is unknown, expired, revoked, or not for ${resource}`);
      return;
    }
    const grant = token.grantId ? await provider.Grant.find(token.grantId) : undefined;
    if (!grant || grant.accountId !== token.accountId || grant.clientId !== token.clientId) {
      refuse(ctx, 401, 'invalid_token', 'the access token\'s grant was revoked');
      return;
    }
    if (!token.scopes.has(ADMIN_SCOPE)) {
      refuse(ctx, 403, 'insufficient_scope', `the access token lacks the "${ADMIN_SCOPE}" scope`);
      return;
    }
    const accountId = token.accountId;
    const { user, isAdmin } = await activeAdmin(accountId);
    if (!user || !isAdmin) {
      // A real account tried to act as an admin: worth a row in the trail.
      await audit.record({
        type: 'admin.api_refused', outcome: 'failure', accountId: token.accountId, email: user?.email ?? null, clientId: token.clientId,
        ...requestMeta(ctx), detail: { reason: user?.status === 'active' ? 'not_admin' : 'account_inactive', path: ctx.path.slice(0, 200) },
      });
      refuse(ctx, 403, 'insufficient_scope', `this account does not have the "${ADMIN_ROLE}" role`);
      return;
    }
    const tokenValue = match[1]!;
    const stillAdmin = async () => (await activeAdmin(accountId)).isAdmin && Boolean(await provider.AccessToken.find(tokenValue));
    (ctx.state as { admin?: AdminCaller }).admin = {
      accountId: user.id, email: user.email, clientId: token.clientId!, tokenExpiresAt: token.exp! * 1000, stillAdmin,
    };
    await next();
  };
}
