// The management API under /admin/api (JSON; see README "Administration"). Every request under the
// prefix, known route or not, is counted per IP before anything else and must then carry an admin
// bearer token (bearer-auth.ts); an authenticated admin is counted again per account. Errors are
// JSON (http/error-handler.ts answers this prefix in JSON), and nothing here is cached. Each route
// module declares its routes through operations.ts, which also describes them in the OpenAPI
// document served, without a token, at /admin/api/openapi.json.
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { NotFoundError, RateLimitedError } from '../../errors.js';
import type { RateLimit, RateLimiter } from '../../services/rate-limiter.js';
import type { SessionEventBus } from '../../services/session-events.js';
import { ADMIN_API_PATH } from '../../paths.js';
import { adminCallerOf, createAdminAuthentication } from './bearer-auth.js';
import { createAdminEventStream } from './event-stream.js';
import { addClientRoutes, type ClientRoutesDeps } from './clients.js';
import { buildOpenApiDocument } from './openapi.js';
import { createApiRoutes } from './operations.js';
import { addAuditRoutes, type AuditRoutesDeps } from './audit.js';
import { addPersonalTokenRoutes, type PersonalTokenRoutesDeps } from './personal-tokens.js';
import { addRoleAndGroupRoutes, type RoleAndGroupRoutesDeps } from './roles-and-groups.js';
import { addUserActionRoutes } from './user-actions.js';
import { addUserRoutes, type UserRoutesDeps } from './users.js';
import { addOrganisationRoutes, type OrganisationRoutesDeps } from './organisations.js';

export const OPENAPI_PATH = `${ADMIN_API_PATH}/openapi.json`;
const API_VERSION = '1';

/** Runs middleware one after another, each deciding whether to go on (as Koa does). */
function chain(steps: Koa.Middleware[]): (ctx: Koa.Context) => Promise<void> {
  const run = async (ctx: Koa.Context, index: number): Promise<void> => {
    if (index < steps.length) await steps[index]!(ctx, () => run(ctx, index + 1));
  };
  return (ctx) => run(ctx, 0);
}

export interface AdminApiDeps extends UserRoutesDeps, AuditRoutesDeps, ClientRoutesDeps, RoleAndGroupRoutesDeps, OrganisationRoutesDeps, PersonalTokenRoutesDeps {
  provider: Provider;
  issuer: string;
  limiter: RateLimiter;
  limits: { perIp: RateLimit; perAccount: RateLimit };
  events: SessionEventBus;
  expiryWarningSeconds: number;
  expiryScanSeconds: number;
}

export function createAdminApi(deps: AdminApiDeps) {
  const { limiter, limits } = deps;
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

  const routes = createApiRoutes();
  routes.get('/events', {
    tag: 'sessions', summary: 'every account\'s session events, live (Server-Sent Events)',
    success: { description: 'text/event-stream: session.created, session.ended, session.expiring' },
  }, (ctx) => eventStream.streamEveryAccount(ctx, adminCallerOf(ctx)));
  addUserRoutes(routes, deps);
  addAuditRoutes(routes, deps);
  addUserActionRoutes(routes, deps);
  addClientRoutes(routes, deps);
  addRoleAndGroupRoutes(routes, deps);
  addOrganisationRoutes(routes, deps);
  addPersonalTokenRoutes(routes, deps);
  routes.router.prefix(ADMIN_API_PATH);

  const document = buildOpenApiDocument(deps.issuer, routes.operations, API_VERSION);
  const documentText = JSON.stringify(document);

  const handle = chain([
    async function noStore(ctx: Koa.Context, next: Koa.Next) {
      ctx.set('Cache-Control', 'no-store');
      await next();
    },
    limitBy((ctx) => `admin-api:ip:${ctx.ip}`, limits.perIp),
    async function serveOpenApi(ctx: Koa.Context, next: Koa.Next) {
      if (ctx.path !== OPENAPI_PATH) return next();
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        ctx.set('Allow', 'GET, HEAD');
        ctx.status = 405;
        ctx.body = { error: 'method_not_allowed', error_description: `${OPENAPI_PATH} answers GET only` };
        return;
      }
      ctx.type = 'application/json';
      ctx.body = documentText;
    },
    createAdminAuthentication(deps),
    limitBy((ctx) => `admin-api:account:${adminCallerOf(ctx).accountId}`, limits.perAccount),
    // The router's context type adds params; Koa's middleware type does not know it.
    routes.router.routes() as unknown as Koa.Middleware,
    routes.router.allowedMethods({ throw: false }) as unknown as Koa.Middleware,
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
    middleware: Object.assign(middleware, { router: routes.router }),
    operations: routes.operations,
    document,
    endAll: eventStream.endAll,
  };
}
