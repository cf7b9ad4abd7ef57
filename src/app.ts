// The HTTP layout: the order of the middleware and the routers mounted in front of oidc-provider's
// protocol routes (Provider is itself a Koa app; provider.use() inserts ours before its own).
// Everything here is built by compose.ts and handed in.
import path from 'node:path';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { PROJECT_ROOT, type Config } from './config.js';
import { serveAssets } from './http/assets.js';
import { acceptAuthorizationPost } from './http/authorization-post.js';
import { answersJson, createErrorHandler } from './http/error-handler.js';
import type { Branding } from './http/branding.js';
import { createHealthRouter } from './http/health.js';
import { languageChoiceRoute, pickLocale } from './http/locale.js';
import { createHomeRouter } from './http/home-page.js';
import { answerNotFound } from './http/not-found.js';
import { noStoreOn } from './http/no-store.js';
import { refuseNulInUrl } from './http/query-nul.js';
import type { Renderer } from './http/render.js';
import { trackRequestOrigin } from './http/request-context.js';
import { answerWithinBudget } from './http/request-budget.js';
import { retryAfterOnUnavailable } from './http/retry-after.js';
import { securityHeaders } from './http/security-headers.js';
import { limitTokenRequestsPerClient } from './http/token-rate-limit.js';
import type { Logger } from './logger.js';
import { rememberFederatedSessions } from './oidc/federated-sessions.js';
import { noStorePaths, protocolApiPaths } from './oidc/protocol-paths.js';
import { ADMIN_API_PATH } from './paths.js';
import type { AccountMailWorker } from './services/account-mail.js';
import type { RateLimiter } from './services/rate-limiter.js';
import type { Database } from './storage/db.js';
import type { RedisClient } from './storage/redis.js';

export interface App {
  provider: Provider;
  callback: ReturnType<Provider['callback']>;
  /** Sends the mail the account pages queue (reset, verification, registration notices). */
  accountMail: AccountMailWorker;
  /** Ends live event streams, stops the outbox worker, flushes the audit trail; call before draining the server. */
  close(): Promise<void>;
}

/** A @koa/router Router of any state type (each route module types its own ctx.state). */
interface MountedRouter {
  routes(): unknown;
  allowedMethods(): unknown;
}

export interface HttpParts {
  config: Config;
  logger: Logger;
  provider: Provider;
  renderer: Renderer;
  /** The deployment's name, logo and colour: its stylesheet and logo routes, and the logo origins for the CSP. */
  branding: Pick<Branding, 'serveBranding' | 'imageOrigins'>;
  database: Database;
  redis?: RedisClient | undefined;
  limiter: RateLimiter;
  /** Bounds and checks dynamic registration requests before the provider reads them. */
  registrationGuard: Koa.Middleware;
  rememberFederatedSession: Parameters<typeof rememberFederatedSessions>[0];
  interactions: MountedRouter;
  federationCallback: MountedRouter;
  adminApi: Koa.Middleware;
  account: MountedRouter;
  adminConsole: MountedRouter;
  accountMail: AccountMailWorker;
  close(): Promise<void>;
}

export function createHttpApp(parts: HttpParts): App {
  const { config, logger, provider, renderer } = parts;
  const https = config.issuer.startsWith('https://');

  provider.use(retryAfterOnUnavailable());
  provider.use(trackRequestOrigin());
  provider.use(securityHeaders({ https, imageOrigins: parts.branding.imageOrigins }));
  provider.use(noStoreOn(noStorePaths(provider)));
  // Before the error handler, so error pages are in the person's language too.
  provider.use(pickLocale({ secure: https }));
  // Protocol endpoints answer RFC 6749 JSON errors whatever the caller's Accept header says.
  const jsonPathPrefixes = [ADMIN_API_PATH, ...protocolApiPaths(provider)];
  provider.use(createErrorHandler({ logger, renderer, jsonPathPrefixes }));
  provider.use(answerNotFound({ renderer, wantsJson: answersJson(jsonPathPrefixes) }));
  provider.use(answerWithinBudget({ budgetMs: config.settings.requestBudgetMs, logger, renderer, wantsJson: answersJson(jsonPathPrefixes) }));
  provider.use(refuseNulInUrl());
  provider.use(acceptAuthorizationPost(provider.pathFor('authorization')));
  provider.use(parts.registrationGuard);
  provider.use(limitTokenRequestsPerClient({ limiter: parts.limiter, rule: config.settings.rateLimits.tokenPerClient }));
  provider.use(serveAssets({ dir: path.join(PROJECT_ROOT, 'public'), prefix: '/assets/' }));
  provider.use(languageChoiceRoute({ secure: https }));
  provider.use(parts.branding.serveBranding);
  provider.use(createHealthRouter({ database: parts.database, redis: parts.redis }).routes());
  provider.use(createHomeRouter(renderer).routes());
  provider.use(rememberFederatedSessions(parts.rememberFederatedSession));
  provider.use(parts.interactions.routes() as Koa.Middleware);
  provider.use(parts.interactions.allowedMethods() as Koa.Middleware);
  provider.use(parts.federationCallback.routes() as Koa.Middleware);
  provider.use(parts.adminApi);
  provider.use(parts.account.routes() as Koa.Middleware);
  provider.use(parts.adminConsole.routes() as Koa.Middleware);

  return { provider, callback: provider.callback(), accountMail: parts.accountMail, close: parts.close };
}
