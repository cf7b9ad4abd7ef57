// Admin API: what an admin does to an account. Each route names the account by id (404 when
// there is none) and is audited naming the admin (services/user-admin.ts).
import type Koa from 'koa';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import { roleSchema } from '../../services/users.js';
import type { ApiRoutes } from './operations.js';
import { actorOf, userJson, withPasswordField, type UserRoutesDeps } from './users.js';

const disableBody = z.object({
  keep_grants: z.boolean().default(false)
    .describe('end the sessions only; the grants stay (unusable while the account is disabled) and work again after enable'),
}).strict();

const passwordBody = z.object({ password: z.string().min(1).max(1024) }).strict();

function idOf(ctx: Koa.Context): string {
  return String(ctx.params.id ?? '');
}

function roleOf(ctx: Koa.Context): string {
  const parsed = roleSchema.safeParse(String(ctx.params.role ?? ''));
  if (!parsed.success) throw new ValidationError(`role: ${parsed.error.issues[0]!.message}`, { fields: { role: parsed.error.issues[0]!.message } });
  return parsed.data;
}

export function addUserActionRoutes(routes: ApiRoutes, deps: UserRoutesDeps): void {
  const { users, userAdmin } = deps;

  routes.post('/users/:id/verify-email', { tag: 'users', summary: 'mark the user\'s address as verified' }, async (ctx) => (
    userJson(users, await userAdmin.verifyEmail(idOf(ctx), actorOf(ctx)))));

  routes.post('/users/:id/disable', {
    tag: 'users', summary: 'disable a user: no sign-in, sessions ended, every grant and token revoked', body: disableBody,
    description: 'The account may be compromised, so offline_access grants are revoked too unless keep_grants is set (RFC 9700 §4.14).',
    success: { description: '`{"user": …, "sessions_ended": n, "grants_revoked": n or null}`' }, responses: { 409: 'the account is the calling admin\'s own' },
  }, async (ctx, { body }) => {
    const outcome = await userAdmin.disable(idOf(ctx), actorOf(ctx), { keepGrants: body.keep_grants });
    return { user: await userJson(users, outcome.user), sessions_ended: outcome.sessions, grants_revoked: outcome.grants ?? null };
  });

  routes.post('/users/:id/enable', { tag: 'users', summary: 'let a disabled or deactivated user sign in again' }, async (ctx) => (
    userJson(users, await userAdmin.enable(idOf(ctx), actorOf(ctx)))));

  routes.delete('/users/:id', {
    tag: 'users', summary: 'delete a user as their own deletion does: signed out everywhere, audit rows anonymised',
    success: { status: 204, description: 'deleted' }, responses: { 409: 'the account is the calling admin\'s own' },
  }, async (ctx) => {
    await userAdmin.remove(idOf(ctx), actorOf(ctx));
  });

  routes.post('/users/:id/reset-two-factor', {
    tag: 'users', summary: 'remove the user\'s authenticator, backup codes and remembered devices',
    success: { description: '`{"user": id, "was_on": boolean}`' },
  }, async (ctx) => ({ user: idOf(ctx), was_on: await userAdmin.resetTwoFactor(idOf(ctx), actorOf(ctx)) }));

  routes.post('/users/:id/unlock', {
    tag: 'users', summary: 'end every lockout of the user after failed sign-ins, and its slow-down',
    success: { description: '`{"user": id, "was_locked": boolean}`' },
  }, async (ctx) => ({ user: idOf(ctx), was_locked: await userAdmin.unlock(idOf(ctx), actorOf(ctx)) }));

  routes.post('/users/:id/password-reset', {
    tag: 'users', summary: 'mail the user a password-reset link (queued, as the forgot-password page does)',
    success: { status: 202, description: '`{"queued": true}`' }, responses: { 409: 'the account is not active' },
  }, async (ctx) => {
    await userAdmin.sendPasswordReset(idOf(ctx), actorOf(ctx));
    return { queued: true };
  });

  routes.put('/users/:id/password', {
    tag: 'users', summary: 'set the user\'s password (the password policy applies); ends every session and grant', body: passwordBody,
    success: { description: '`{"user": id, "sessions_ended": n}`' },
  }, async (ctx, { body }) => {
    const outcome = await withPasswordField('password', () => userAdmin.setPassword(idOf(ctx), body.password, actorOf(ctx)));
    return { user: outcome.user.id, sessions_ended: outcome.sessions };
  });

  routes.put('/users/:id/roles/:role', {
    tag: 'users', summary: 'grant the user a role', success: { description: '`{"roles": [...], "changed": boolean}`' },
  }, async (ctx) => userAdmin.setRole(idOf(ctx), roleOf(ctx), true, actorOf(ctx)));

  routes.delete('/users/:id/roles/:role', {
    tag: 'users', summary: 'take a role away from the user', success: { description: '`{"roles": [...], "changed": boolean}`' },
  }, async (ctx) => {
    const role = roleOf(ctx);
    return userAdmin.setRole(idOf(ctx), role, false, actorOf(ctx));
  });
}
