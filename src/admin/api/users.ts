// Admin API: people (list and search, show, create or invite, profile) and their sign-in
// sessions. What an admin does to an account (disable, delete, roles, …) is in user-actions.ts.
import type Koa from 'koa';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors.js';
import { requestMeta } from '../../http/request-meta.js';
import { sessionJson } from '../../http/session-json.js';
import type { RevokeAccountTokens } from '../../services/account-revocation.js';
import type { AuditLog } from '../../services/audit.js';
import type { EffectiveAccess, RolesAndGroups } from '../../services/roles-and-groups.js';
import { WeakPasswordError } from '../../services/password-policy.js';
import type { EndedSession, SessionService } from '../../services/sessions.js';
import type { AdminActor, UserAdmin } from '../../services/user-admin.js';
import { DEFAULT_USER_PAGE, MAX_USER_PAGE, USER_STATUSES, type UserDetail, type UserDirectory } from '../../services/user-directory.js';
import { emailSchema, roleSchema, type User, type UserService } from '../../services/users.js';
import { adminCallerOf } from './bearer-auth.js';
import type { ApiRoutes } from './operations.js';

export interface UserRoutesDeps {
  users: UserService;
  userDirectory: UserDirectory;
  userAdmin: UserAdmin;
  audit: AuditLog;
  sessions: SessionService;
  /** Every grant and token of an account, offline ones included (?revoke_grants=true). */
  revokeAccountTokens: RevokeAccountTokens;
  /** The groups and effective roles a user's detail shows. */
  rolesAndGroups: RolesAndGroups;
}

/** A user as the API shows it; `roles` when known, else read. */
export async function userJson(users: UserService, user: User & { roles?: string[] }) {
  return {
    id: user.id, email: user.email, email_verified: user.emailVerified, name: user.name, given_name: user.givenName,
    family_name: user.familyName, status: user.status, roles: user.roles ?? await users.rolesOf(user.id),
    created_at: user.createdAt.toISOString(), updated_at: user.updatedAt.toISOString(),
  };
}

/** `roles` are the account's own; `effective_roles` add those of its `groups`, as apps see them. */
function detailJson(user: UserDetail, access: EffectiveAccess) {
  return {
    id: user.id, email: user.email, email_verified: user.emailVerified, name: user.name, given_name: user.givenName,
    family_name: user.familyName, status: user.status, roles: user.roles, groups: access.groups, effective_roles: access.roles,
    created_at: user.createdAt.toISOString(), updated_at: user.updatedAt.toISOString(),
    two_factor: { enrolled: user.twoFactor.enrolled, backup_codes_left: user.twoFactor.backupCodesLeft, trusted_devices: user.twoFactor.trustedDevices },
    lockout: { locked: user.lockout.locked, sources: user.lockout.sources, locked_until: user.lockout.lockedUntil?.toISOString() ?? null },
    password_blocked_at: user.passwordBlockedAt?.toISOString() ?? null,
  };
}

/** What an admin's change is audited as being done by. */
export function byCaller(ctx: Koa.Context) {
  return { by: `admin:${adminCallerOf(ctx).accountId}` };
}

/** The admin and where the request came from, for the audit rows of a change. */
export function actorOf(ctx: Koa.Context): AdminActor {
  return { ...byCaller(ctx), origin: requestMeta(ctx), accountId: adminCallerOf(ctx).accountId };
}

/** A refused password as a field of the body, like every other refused field. */
export async function withPasswordField<T>(field: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WeakPasswordError) throw new ValidationError(`body: ${field}: ${error.message}`, { fields: { [field]: error.message } });
    throw error;
  }
}

function endedJson(user: User, ended: EndedSession[]) {
  return { ended: ended.length, clients: [...new Set(ended.flatMap((session) => session.clientIds))].sort(), user: user.id };
}

const revokeGrantsQuery = z.object({
  revoke_grants: z.enum(['true', 'false']).default('false')
    .describe('also revoke every grant and token of the account, offline_access ones included'),
});

const listQuery = z.object({
  email: emailSchema.optional().describe('exactly this address (any case); the other parameters are then ignored'),
  q: z.string().trim().min(1).max(200).optional().describe('a part of the address or the name, in any case'),
  status: z.enum(USER_STATUSES).optional(),
  role: roleSchema.optional().describe('only holders of this role'),
  cursor: z.string().max(200).optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(MAX_USER_PAGE).default(DEFAULT_USER_PAGE).describe(`1 to ${MAX_USER_PAGE}`),
}).strict();

const name = (max: number) => z.string().trim().min(1).max(max);

const createBody = z.object({
  email: emailSchema,
  password: z.string().min(1).max(1024).optional().describe('omit it, and set invite, to mail an invitation instead'),
  invite: z.boolean().default(false).describe('mail the address a link to register (name and password chosen by the person)'),
  email_verified: z.boolean().default(false),
  name: name(200).optional(),
  given_name: name(100).optional(),
  family_name: name(100).optional(),
  roles: z.array(roleSchema).max(40).default([]),
}).strict().superRefine((body, context) => {
  if (body.invite && body.password !== undefined) context.addIssue({ code: 'custom', path: ['password'], message: 'an invitation lets the person choose the password: omit it' });
  if (!body.invite && body.password === undefined) context.addIssue({ code: 'custom', path: ['password'], message: 'give a password, or set invite to true' });
  if (body.invite && (body.roles.length > 0 || body.name !== undefined)) {
    context.addIssue({ code: 'custom', path: ['invite'], message: 'an invitation carries only the address; set roles and names once the account exists' });
  }
});

const nullableName = (max: number) => z.string().trim().max(max).nullable();

const profileBody = z.object({
  email: emailSchema.optional().describe('a new address, taken as verified'),
  name: nullableName(200).optional(),
  given_name: nullableName(100).optional(),
  family_name: nullableName(100).optional(),
}).strict();

export function addUserRoutes(routes: ApiRoutes, deps: UserRoutesDeps): void {
  const { users, userDirectory, userAdmin, audit, sessions, revokeAccountTokens, rolesAndGroups } = deps;

  const userNamedIn = (ctx: Koa.Context): Promise<User> => userDirectory.require(String(ctx.params.id ?? ''));

  routes.get('/users', {
    tag: 'users', summary: 'list and search users, newest first, a page at a time', query: listQuery,
    success: { description: '`{"users": [...], "next": cursor or null}`' },
  }, async (_ctx, { query }) => {
    if (query.email !== undefined) {
      const user = await users.findByEmail(query.email);
      return { users: user ? [await userJson(users, user)] : [], next: null };
    }
    const page = await userDirectory.list({ search: query.q, status: query.status, role: query.role, cursor: query.cursor, limit: query.limit });
    return { users: await Promise.all(page.users.map((user) => userJson(users, user))), next: page.next ?? null };
  });

  routes.post('/users', {
    tag: 'users', summary: 'create a user with a password, or invite an address', body: createBody,
    success: { status: 201, description: 'the new user, or `{"invitation": {email, expires_at}}`' }, responses: { 409: 'the address has an account' },
  }, async (ctx, { body }) => {
    if (body.invite) {
      const { expiresAt } = await userAdmin.invite(body.email, actorOf(ctx));
      return { invitation: { email: body.email, expires_at: expiresAt.toISOString() } };
    }
    const user = await withPasswordField('password', () => userAdmin.create({
      email: body.email, password: body.password!, emailVerified: body.email_verified, roles: body.roles,
      name: body.name, givenName: body.given_name, familyName: body.family_name,
    }, actorOf(ctx)));
    return userJson(users, user);
  });

  routes.get('/users/:id', {
    tag: 'users', summary: 'show a user: own roles, groups and effective roles, two-factor and lockout state',
  }, async (ctx) => {
    const user = await userDirectory.show(String(ctx.params.id ?? ''));
    return detailJson(user, await rolesAndGroups.effectiveAccessOf(user.id));
  });

  routes.patch('/users/:id', {
    tag: 'users', summary: 'change a user\'s names or address (a null name clears it)', body: profileBody,
    responses: { 409: 'another account has the address' },
  }, async (ctx, { body }) => {
    const user = await userAdmin.updateProfile(String(ctx.params.id ?? ''), {
      email: body.email, name: body.name, givenName: body.given_name, familyName: body.family_name,
    }, actorOf(ctx));
    return userJson(users, user);
  });

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
