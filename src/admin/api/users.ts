// Admin API: people and their sign-in sessions.
import type Koa from 'koa';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import { requestMeta } from '../../http/request-meta.js';
import { sessionJson } from '../../http/session-json.js';
import type { RevokeAccountTokens } from '../../services/account-revocation.js';
import type { AuditLog } from '../../services/audit.js';
import type { EndedSession, SessionService } from '../../services/sessions.js';
import { emailSchema, type User, type UserService } from '../../services/users.js';
import { adminCallerOf } from './bearer-auth.js';
import type { ApiRoutes } from './operations.js';

export interface UserRoutesDeps {
  users: UserService;
  audit: AuditLog;
  sessions: SessionService;
  /** Every grant and token of an account, offline ones included (?revoke_grants=true). */
  revokeAccountTokens: RevokeAccountTokens;
}

export async function userJson(users: UserService, user: User) {
  return {
    id: user.id, email: user.email, email_verified: user.emailVerified, name: user.name, status: user.status,
    roles: await users.rolesOf(user.id), created_at: user.createdAt.toISOString(),
  };
}

/** What an admin's change is audited as being done by. */
export function byCaller(ctx: Koa.Context) {
  return { by: `admin:${adminCallerOf(ctx).accountId}` };
}

function endedJson(user: User, ended: EndedSession[]) {
  return { ended: ended.length, clients: [...new Set(ended.flatMap((session) => session.clientIds))].sort(), user: user.id };
}

const revokeGrantsQuery = z.object({
  revoke_grants: z.enum(['true', 'false']).default('false')
    .describe('also revoke every grant and token of the account, offline_access ones included'),
});

export function addUserRoutes(routes: ApiRoutes, deps: UserRoutesDeps): void {
  const { users, audit, sessions, revokeAccountTokens } = deps;

  async function userNamedIn(ctx: Koa.Context): Promise<User> {
    const id = String(ctx.params.id ?? '');
    const user = await users.findById(id);
    if (!user) throw new NotFoundError(`no user with id ${id.slice(0, 64)}`);
    return user;
  }

  routes.get('/users', {
    tag: 'users', summary: 'find a user by email address',
    query: z.object({ email: emailSchema.describe('the user\'s address') }),
  }, async (_ctx, { query }) => {
    const user = await users.findByEmail(query.email);
    return { users: user ? [await userJson(users, user)] : [] };
  });

  routes.get('/users/:id', { tag: 'users', summary: 'show a user' }, async (ctx) => userJson(users, await userNamedIn(ctx)));

  routes.get('/users/:id/sessions', { tag: 'sessions', summary: 'list a user\'s sign-in sessions' }, async (ctx) => {
    const user = await userNamedIn(ctx);
    return { sessions: (await sessions.list(user.id)).map(sessionJson) };
  });

  routes.delete('/users/:id/sessions', {
    tag: 'sessions', summary: 'end every session of a user (back-channel logout included)', query: revokeGrantsQuery,
    success: { description: 'the sessions ended, and the grants revoked when asked' },
  }, async (ctx, { query }) => {
    const user = await userNamedIn(ctx);
    if (query.revoke_grants === 'false') return endedJson(user, await sessions.endAll(user.id, 'admin', byCaller(ctx)));
    // An account that may be compromised: offline_access grants go too (RFC 9700 §4.14).
    const revoked = await revokeAccountTokens(user.id, { reason: 'admin', ...byCaller(ctx) });
    await audit.record({
      type: 'admin.user_changed', outcome: 'success', accountId: user.id, email: user.email, ...requestMeta(ctx),
      detail: { action: 'grants_revoked', grants: revoked.grants, sessions: revoked.sessions.length, ...byCaller(ctx) },
    });
    return { ...endedJson(user, revoked.sessions), grants_revoked: revoked.grants };
  });

  routes.delete('/users/:id/sessions/:session', { tag: 'sessions', summary: 'end one session of a user' }, async (ctx) => {
    const user = await userNamedIn(ctx);
    const uid = String(ctx.params.session);
    const ended = await sessions.endByUid(user.id, uid, 'admin', byCaller(ctx));
    if (ended === 'not-found') throw new NotFoundError(`<${user.email}> has no session ${uid.slice(0, 64)}`);
    return endedJson(user, [ended]);
  });
}
