// The admin HTTP API under /admin/api (JSON; see README "Admin API"). Every request under the
// prefix, known route or not, is counted per IP before anything else and must then carry an admin
// bearer token (bearer-auth.ts); an authenticated admin is counted again per account. Errors are
// JSON (http/error-handler.ts answers this prefix in JSON), and nothing here is cached.
import Router from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { NotFoundError, RateLimitedError, ValidationError } from '../errors.js';
import { requestMeta } from '../http/request-meta.js';
import { sessionJson } from '../http/session-json.js';
import type { RevokeAccountTokens } from '../services/account-revocation.js';
import type { AuditLog } from '../services/audit.js';
import type { RateLimit, RateLimiter } from '../services/rate-limiter.js';
import type { SessionEventBus } from '../services/session-events.js';
import type { EndedSession, SessionService } from '../services/sessions.js';
import { emailSchema, type User, type UserService } from '../services/users.js';
import { adminCallerOf, createAdminAuthentication } from './bearer-auth.js';
import { createAdminEventStream } from './event-stream.js';
import { ADMIN_API_PATH } from '../paths.js';

/** Runs middleware one after another, each deciding whether to go on (as Koa does). */
function chain(steps: Koa.Middleware[]): (ctx: Koa.Context) => Promise<void> {
  const run = async (ctx: Koa.Context, index: number): Promise<void> => {
    if (index < steps.length) await steps[index]!(ctx, () => run(ctx, index + 1));
  };
  return (ctx) => run(ctx, 0);
}

export interface AdminApiDeps {
  provider: Provider;
  issuer: string;
  users: UserService;
  audit: AuditLog;
  limiter: RateLimiter;
  limits: { perIp: RateLimit; perAccount: RateLimit };
  sessions: SessionService;
  /** Every grant and token of an account, offline ones included (?revoke_grants=true). */
  revokeAccountTokens: RevokeAccountTokens;
  events: SessionEventBus;
  expiryWarningSeconds: number;
  expiryScanSeconds: number;
}

async function userJson(users: UserService, user: User) {
  return {
    id: user.id, email: user.email, email_verified: user.emailVerified, name: user.name, status: user.status,
    roles: await users.rolesOf(user.id), created_at: user.createdAt.toISOString(),
  };
}

export function createAdminApi(deps: AdminApiDeps) {
  const { users, audit, limiter, limits, sessions, revokeAccountTokens } = deps;
  const eventStream = createAdminEventStream(deps);

  function limitBy(keyOf: (ctx: Koa.Context) => string, rule: RateLimit): Koa.Middleware {
    return async function limitAdminRequests(ctx, next) {
      const decision = await limiter.hit(keyOf(ctx), rule);
      if (!decision.allowed) {
        throw new RateLimitedError(`Too many admin API requests. Try again in ${decision.retryAfterSeconds} seconds.`, decision.retryAfterSeconds);
      }
      await next();
    };
  }

  async function userNamedIn(ctx: Koa.Context): Promise<User> {
    const id = String(ctx.params.id ?? '');
    const user = await users.findById(id);
    if (!user) throw new NotFoundError(`no user with id ${id.slice(0, 64)}`);
    return user;
  }

  function byCaller(ctx: Koa.Context) {
    return { by: `admin:${adminCallerOf(ctx).accountId}` };
  }

  function endedJson(user: User, ended: EndedSession[]) {
    return { ended: ended.length, clients: [...new Set(ended.flatMap((session) => session.clientIds))].sort(), user: user.id };
  }

  const router = new Router({ prefix: ADMIN_API_PATH });
  router.get('/events', (ctx) => eventStream.streamEveryAccount(ctx, adminCallerOf(ctx)));
  router.get('/users', async (ctx) => {
    const email = emailSchema.safeParse(ctx.query.email);
    if (!email.success) throw new ValidationError('email: give the user\'s address as ?email=');
    const user = await users.findByEmail(email.data);
    ctx.body = { users: user ? [await userJson(users, user)] : [] };
  });
  router.get('/users/:id', async (ctx) => {
    ctx.body = await userJson(users, await userNamedIn(ctx));
  });
  router.get('/users/:id/sessions', async (ctx) => {
    const user = await userNamedIn(ctx);
    ctx.body = { sessions: (await sessions.list(user.id)).map(sessionJson) };
  });
  router.delete('/users/:id/sessions', async (ctx) => {
    const user = await userNamedIn(ctx);
    const revokeGrants = ctx.query.revoke_grants ?? 'false';
    if (revokeGrants !== 'true' && revokeGrants !== 'false') throw new ValidationError('revoke_grants: give true or false');
    if (revokeGrants === 'false') {
      ctx.body = endedJson(user, await sessions.endAll(user.id, 'admin', byCaller(ctx)));
      return;
    }
    // An account that may be compromised: offline_access grants go too (RFC 9700 §4.14).
    const revoked = await revokeAccountTokens(user.id, { reason: 'admin', ...byCaller(ctx) });
    await audit.record({
      type: 'admin.user_changed', outcome: 'success', accountId: user.id, email: user.email, ...requestMeta(ctx),
      detail: { action: 'grants_revoked', grants: revoked.grants, sessions: revoked.sessions.length, ...byCaller(ctx) },
    });
    ctx.body = { ...endedJson(user, revoked.sessions), grants_revoked: revoked.grants };
  });
  router.delete('/users/:id/sessions/:session', async (ctx) => {
    const user = await userNamedIn(ctx);
    const uid = String(ctx.params.session);
    const ended = await sessions.endByUid(user.id, uid, 'admin', byCaller(ctx));
    if (ended === 'not-found') throw new NotFoundError(`<${user.email}> has no session ${uid.slice(0, 64)}`);
    ctx.body = endedJson(user, [ended]);
  });

  const handle = chain([
    async function noStore(ctx: Koa.Context, next: Koa.Next) {
      ctx.set('Cache-Control', 'no-store');
      await next();
    },
    limitBy((ctx) => `admin-api:ip:${ctx.ip}`, limits.perIp),
    createAdminAuthentication(deps),
    limitBy((ctx) => `admin-api:account:${adminCallerOf(ctx).accountId}`, limits.perAccount),
    // The router's context type adds params; Koa's middleware type does not know it.
    router.routes() as unknown as Koa.Middleware,
    router.allowedMethods({ throw: false }) as unknown as Koa.Middleware,
    async function notFound(ctx: Koa.Context) {
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) throw new NotFoundError(`no admin API route ${ctx.method} ${ctx.path.slice(0, 200)}`);
    },
  ]);

  const middleware: Koa.Middleware = async function adminApi(ctx, next) {
    if (ctx.path !== ADMIN_API_PATH && !ctx.path.startsWith(`${ADMIN_API_PATH}/`)) return next();
    return handle(ctx);
  };
  return {
    // Tagged like @koa/router's routes() so tools that list the app's routes find these too.
    middleware: Object.assign(middleware, { router }),
    endAll: eventStream.endAll,
  };
}
