// Composes the HTTP application. oidc-provider's Provider is itself a Koa app; our middleware and
// routes are inserted in front of its protocol routes with provider.use().
import path from 'node:path';
import type Provider from 'oidc-provider';
import { PROJECT_ROOT } from './config.js';
import { createAccountRouter } from './account/router.js';
import { ADMIN_API_PATH } from './admin/paths.js';
import { createAdminApi } from './admin/router.js';
import { createSessionStream } from './account/session-stream.js';
import type { AppContext } from './context.js';
import { serveAssets } from './http/assets.js';
import { createCsrf } from './http/csrf.js';
import { createErrorHandler } from './http/error-handler.js';
import { createFederationCookies } from './http/federation-cookie.js';
import { createHealthRouter } from './http/health.js';
import { refuseNulInQuery } from './http/query-nul.js';
import { createRenderer, type Renderer } from './http/render.js';
import { trackRequestOrigin } from './http/request-context.js';
import { retryAfterOnUnavailable } from './http/retry-after.js';
import { deviceLabel } from './http/device-label.js';
import { requestMeta } from './http/request-meta.js';
import { securityHeaders } from './http/security-headers.js';
import { limitTokenRequestsPerClient } from './http/token-rate-limit.js';
import { createDeviceCookie } from './interactions/device-cookie.js';
import { createFederationCallbackRouter } from './interactions/federated-callback.js';
import { createInteractionRouter } from './interactions/router.js';
import { createAdapterFactory } from './oidc/adapters/index.js';
import type { SessionIndexHooks } from './oidc/adapters/session-index.js';
import { withStorageFaults } from './oidc/adapters/storage-faults.js';
import { auditProviderEvents } from './oidc/audit-provider-events.js';
import { rememberFederatedSessions } from './oidc/federated-sessions.js';
import { createProviderPages } from './oidc/pages.js';
import { createProvider } from './oidc/provider.js';
import { createProviderBoundServices } from './provider-bound-services.js';
import { startAccountMailWorker, type AccountMailWorker } from './services/account-mail.js';
import { longestSendMs } from './services/email.js';
import { createSessionServices, type SessionServices } from './session-services.js';

export interface App {
  provider: Provider;
  callback: ReturnType<Provider['callback']>;
  /** Session events and back-channel logout (the outbox worker runs until close()). */
  sessions: SessionServices;
  /** Sends the mail the account pages queue (reset, verification, registration notices). */
  accountMail: AccountMailWorker;
  /** Ends live event streams, stops the outbox and mail workers; call before draining the server. */
  close(): Promise<void>;
}

/** The provider over this context's stores; the CLI builds one too, to end sessions as the server does. */
export async function createProviderFor(context: AppContext, renderer: Renderer, sessionHooks: SessionIndexHooks): Promise<Provider> {
  const { config, logger, database, redis, secretBox, users, signingKeys } = context;
  await signingKeys.ensureKeys();
  return createProvider({
    config,
    logger,
    adapter: withStorageFaults(createAdapterFactory({
      database, secretBox, redis, redisKeyPrefix: config.redisKeyPrefix, clientCacheSeconds: config.settings.clientCacheSeconds, sessionHooks,
    })),
    users,
    twoFactor: context.twoFactor,
    signingKeys: await signingKeys.loadPrivateJwks(),
    pages: createProviderPages(renderer),
    idpOfSession: context.federatedAccounts.idpOfSession,
  });
}

export async function createApp(context: AppContext): Promise<App> {
  const { config, logger, database, redis, users } = context;
  const renderer = createRenderer({ viewsDir: path.join(PROJECT_ROOT, 'views'), cache: config.env === 'production' });
  const sessionHooks: SessionIndexHooks = {};
  const provider = await createProviderFor(context, renderer, sessionHooks);
  auditProviderEvents(provider, context.audit, logger);
  const sessions = await createSessionServices(context, provider, sessionHooks, { deliver: true });
  const { expiryWarningSeconds } = config.settings.sessions;
  const sessionStream = createSessionStream({ database, events: sessions.sessionEvents, expiryWarningSeconds });
  const csrf = createCsrf({ secrets: config.cookieSecrets, secure: config.issuer.startsWith('https://') });

  provider.use(retryAfterOnUnavailable());
  provider.use(trackRequestOrigin());
  provider.use(securityHeaders({ https: config.issuer.startsWith('https://') }));
  provider.use(createErrorHandler({ logger, renderer, jsonPathPrefixes: [ADMIN_API_PATH] }));
  provider.use(refuseNulInQuery());
  provider.use(limitTokenRequestsPerClient({ limiter: context.limiter, rule: config.settings.rateLimits.tokenPerClient }));
  provider.use(serveAssets({ dir: path.join(PROJECT_ROOT, 'public'), prefix: '/assets/' }));
  const health = createHealthRouter({ database, redis });
  provider.use(health.routes());
  const accountServices = createProviderBoundServices(context, provider, sessions.sessionEnder);
  const { mail } = config.settings;
  const accountMail = startAccountMailWorker({
    database, logger, settings: mail.queue, sendTimeoutMs: longestSendMs(mail.retry, mail.smtpTimeoutMs),
    senders: {
      password_reset: accountServices.passwordReset.sendRequestedMail,
      verification: context.emailVerification.sendQueuedVerification,
      registration_attempt: context.registration.sendAttemptNotice,
    },
  });
  const secureCookies = config.issuer.startsWith('https://');
  const deviceIdOf = createDeviceCookie({ secure: secureCookies });
  const federationCookies = createFederationCookies({ secure: secureCookies, stateTtlSeconds: config.settings.federation.stateTtlSeconds });
  const { upstreams, federatedAccounts } = context;
  provider.use(rememberFederatedSessions(federatedAccounts.rememberSession));
  const interactions = createInteractionRouter({
    provider, users, audit: context.audit, loginGuard: context.loginGuard, renderer, csrf, loginPolicy: config.settings.emailVerification.loginPolicy,
    twoFactor: context.twoFactor, trustedDevices: context.trustedDevices, twoFactorSettings: config.settings.twoFactor,
    secureCookies, limiter: context.limiter, secondFactorPerIp: config.settings.rateLimits.secondFactorPerIp,
    upstreams, federatedAccounts, federationCookies,
    async onSignedIn(ctx, accountId) {
      const origin = requestMeta(ctx);
      await accountServices.signInAlerts.recordSignIn(accountId, deviceIdOf(ctx), deviceLabel(origin.userAgent), origin);
    },
  });
  provider.use(interactions.routes());
  provider.use(interactions.allowedMethods());
  provider.use(createFederationCallbackRouter({ provider, issuer: config.issuer, upstreams, federatedAccounts, cookies: federationCookies, audit: context.audit, renderer }).routes());
  const adminApi = createAdminApi({
    provider, issuer: config.issuer, database, users, audit: context.audit, limiter: context.limiter,
    limits: { perIp: config.settings.rateLimits.adminApiPerIp, perAccount: config.settings.rateLimits.adminApiPerAccount },
    sessionEnder: sessions.sessionEnder, events: sessions.sessionEvents, expiryWarningSeconds, expiryScanSeconds: config.settings.adminApi.expiryScanSeconds,
  });
  provider.use(adminApi.middleware);
  provider.use(createAccountRouter({
    ...context, ...accountServices, provider, issuer: config.issuer, renderer, csrf, sessionEnder: sessions.sessionEnder, sessionStream, expiryWarningSeconds,
    federationCookies,
  }).routes());

  return {
    provider,
    callback: provider.callback(),
    sessions,
    accountMail,
    async close() {
      sessionStream.endAll();
      adminApi.endAll();
      await accountMail.stop();
      await sessions.close();
      await context.audit.flush();
    },
  };
}
