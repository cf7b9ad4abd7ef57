// Composes the HTTP application. oidc-provider's Provider is itself a Koa app; our middleware and
// routes are inserted in front of its protocol routes with provider.use().
import path from 'node:path';
import type Provider from 'oidc-provider';
import { PROJECT_ROOT } from './config.js';
import { createAccountRouter } from './account/router.js';
import type { AppContext } from './context.js';
import { serveAssets } from './http/assets.js';
import { createCsrf } from './http/csrf.js';
import { createErrorHandler } from './http/error-handler.js';
import { createHealthRouter } from './http/health.js';
import { createRenderer } from './http/render.js';
import { retryAfterOnUnavailable } from './http/retry-after.js';
import { securityHeaders } from './http/security-headers.js';
import { createInteractionRouter } from './interactions/router.js';
import { createAdapterFactory } from './oidc/adapters/index.js';
import { withStorageFaults } from './oidc/adapters/storage-faults.js';
import { auditProviderEvents } from './oidc/audit-provider-events.js';
import { createProviderPages } from './oidc/pages.js';
import { createProvider } from './oidc/provider.js';
import { createProviderBoundServices } from './provider-bound-services.js';

export interface App {
  provider: Provider;
  callback: ReturnType<Provider['callback']>;
}

export async function createApp(context: AppContext): Promise<App> {
  const { config, logger, database, redis, secretBox, users, signingKeys } = context;
  await signingKeys.ensureKeys();
  const renderer = createRenderer({ viewsDir: path.join(PROJECT_ROOT, 'views'), cache: config.env === 'production' });
  const provider = createProvider({
    config,
    logger,
    adapter: withStorageFaults(createAdapterFactory({
      database, secretBox, redis, redisKeyPrefix: config.redisKeyPrefix, clientCacheSeconds: config.settings.clientCacheSeconds,
    })),
    users,
    signingKeys: await signingKeys.loadPrivateJwks(),
    pages: createProviderPages(renderer),
  });
  auditProviderEvents(provider, context.audit, logger);
  const csrf = createCsrf({ secrets: config.cookieSecrets, secure: config.issuer.startsWith('https://') });

  provider.use(retryAfterOnUnavailable());
  provider.use(securityHeaders({ https: config.issuer.startsWith('https://') }));
  provider.use(createErrorHandler({ logger, renderer }));
  provider.use(serveAssets({ dir: path.join(PROJECT_ROOT, 'public'), prefix: '/assets/' }));
  const health = createHealthRouter({ database, redis });
  provider.use(health.routes());
  const interactions = createInteractionRouter({
    provider, users, audit: context.audit, renderer, csrf, loginPolicy: config.settings.emailVerification.loginPolicy,
    twoFactor: context.twoFactor, trustedDevices: context.trustedDevices, twoFactorSettings: config.settings.twoFactor,
    secureCookies: config.issuer.startsWith('https://'),
  });
  provider.use(interactions.routes());
  provider.use(interactions.allowedMethods());
  const accountServices = createProviderBoundServices(context, provider);
  provider.use(createAccountRouter({ ...context, ...accountServices, provider, issuer: config.issuer, renderer, csrf }).routes());

  return { provider, callback: provider.callback() };
}
