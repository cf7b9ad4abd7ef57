// The one composition root. Read it top to bottom: the stores' own layer (counters, the protocol's
// adapters, the broadcast channel), then the services, then the provider, then what needs the
// provider (logout tokens and their delivery worker, the HTTP routes). Nothing is filled in after
// the fact. The server calls composeServices then composeApp; the CLI calls composeServices only,
// so it ends sessions and revokes tokens exactly as the server does, without a delivery worker,
// a renderer or a provider.
import path from 'node:path';
import { createAccountRouter } from './account/router.js';
import { createSessionStream } from './account/session-stream.js';
import { createLogoutDeliveryAdmin } from './services/logout-delivery-admin.js';
import { createAdminApi } from './admin/api/index.js';
import { createConsoleRouter } from './admin/console/router.js';
import { createHttpApp, type App } from './app.js';
import { PROJECT_ROOT, type Config } from './config.js';
import { createKeyedHash } from './crypto/keyed-hash.js';
import { createSecretBox } from './crypto/secret-box.js';
import { createCsrf } from './http/csrf.js';
import { deviceLabel } from './http/device-label.js';
import { createFederationCookies } from './http/federation-cookie.js';
import { createJourneys } from './http/journey.js';
import { createJourneyNotes } from './http/journey-note.js';
import { createRenderer } from './http/render.js';
import { createBranding } from './http/branding.js';
import { createTranslator } from './i18n/translator.js';
import { currentRequestOrigin } from './http/request-context.js';
import { requestMeta } from './http/request-meta.js';
import { createDeviceCookie } from './interactions/device-cookie.js';
import { createFederationCallbackRouter } from './interactions/federated-callback.js';
import { createInteractionRouter } from './interactions/router.js';
import type { Logger } from './logger.js';
import { createAccountRevoker } from './oidc/account-revocation.js';
import { createAdapterFactory } from './oidc/adapters/index.js';
import { createClientRevoker } from './oidc/client-revocation.js';
import { createAppGrantRevoker } from './oidc/app-grant-revocation.js';
import { noteConsentUse } from './oidc/consent-use.js';
import { answerPersonalTokens } from './oidc/adapters/personal-access-tokens.js';
import { indexSessions } from './oidc/adapters/session-index.js';
import { withStorageFaults } from './oidc/adapters/storage-faults.js';
import { auditProviderEvents } from './oidc/audit-provider-events.js';
import { createLogoutOutbox, createLogoutTokenMinter, routeProviderLogoutsThroughOutbox } from './oidc/backchannel-logout.js';
import { createProviderPages } from './oidc/pages.js';
import { personalTokenLookup } from './oidc/personal-access-tokens.js';
import { createProvider } from './oidc/provider.js';
import { auditRegistrationEvents } from './oidc/audit-registration-events.js';
import { createInitialAccessTokens } from './oidc/registration.js';
import { guardRegistration } from './oidc/registration-guard.js';
import { personalTokenScopes, supportedScopes } from './oidc/scopes.js';
import { createSessionEnder } from './oidc/session-ending.js';
import { federationCallbackUrl } from './paths.js';
import { createAccountClosureService } from './services/account-closure.js';
import { createAccountMailQueue, startAccountMailWorker } from './services/account-mail.js';
import { createAdminDashboard } from './services/admin-dashboard.js';
import { createAuditLog, type RequestOrigin } from './services/audit.js';
import { createLogoutTokenPoster } from './services/backchannel-http.js';
import { createBackupCodeHasher } from './services/backup-codes.js';
import { createClientService } from './services/clients.js';
import { createConsents } from './services/consents.js';
import { loadCommonPasswords } from './services/common-passwords.js';
import { createMailer, longestSendMs, mailerOptions } from './services/email.js';
import { createEmailChangeService } from './services/email-change.js';
import { createEmailChangeUndo, EMAIL_CHANGE_UNDO_TTL_SECONDS } from './services/email-change-undo.js';
import { createEmailVerificationService } from './services/email-verification.js';
import { createFederatedAccounts } from './services/federated-accounts.js';
import { createUpstreams } from './services/federation.js';
import { createInvitationService } from './services/invitations.js';
import { createLoginGuard } from './services/login-guard.js';
import { startLogoutDeliveryWorker } from './services/logout-deliveries.js';
import { createPasswordChangeService } from './services/password-change.js';
import { createPasswordPolicy } from './services/password-policy.js';
import { createPasswordResetService } from './services/password-reset.js';
import { createPasswordService } from './services/passwords.js';
import { createPersonalAccessTokens } from './services/personal-access-tokens.js';
import { createRateLimiter } from './services/rate-limiter.js';
import { createReauthentication } from './services/reauthentication.js';
import { createRegistrationService } from './services/registration.js';
import { createSecondFactorLockNotice } from './services/second-factor-lock-notice.js';
import { createSessionEventBus } from './services/session-events.js';
import { createSessionService } from './services/sessions.js';
import { createSignInService } from './services/sign-in.js';
import { createSignInAlerts } from './services/sign-in-alerts.js';
import { createSigningKeyService } from './services/signing-keys.js';
import { createTotp } from './services/totp.js';
import { createTrustedDeviceService } from './services/trusted-devices.js';
import { createTwoFactorService } from './services/two-factor.js';
import { createUserAdmin } from './services/user-admin.js';
import { createUserDirectory } from './services/user-directory.js';
import { createUserService } from './services/users.js';
import { createRolesAndGroups } from './services/roles-and-groups.js';
import { createOrganisations } from './services/organisations.js';
import { createOrganisationInvitations } from './services/organisation-invitations.js';
import type { Database } from './storage/db.js';
import { createRateLimitStore } from './storage/rate-limit-store.js';
import { openRedisChannel } from './storage/redis-channel.js';
import type { RedisClient } from './storage/redis.js';

export interface Stores {
  database: Database;
  /** Short-lived models, counters and pub/sub across nodes; without it all of that is in Postgres or in process. */
  redis?: RedisClient | undefined;
}

export async function composeServices(config: Config, stores: Stores, logger: Logger) {
  const { database, redis } = stores;
  const { settings, issuer } = config;

  // The stores' own layer.
  const secretBox = createSecretBox(config.encryptionKey);
  // Counters shared by every node: Redis when configured, Postgres otherwise.
  const limiter = createRateLimiter(createRateLimitStore({ database, redis, redisKeyPrefix: config.redisKeyPrefix }));
  // The protocol's stores (which model lives where): the provider reads them, and so do the services
  // that end sessions and revoke grants, which therefore need no provider.
  const adapters = createAdapterFactory({
    database, secretBox, redis, redisKeyPrefix: config.redisKeyPrefix, clientCacheSeconds: settings.clientCacheSeconds,
  });
  const sessionEvents = createSessionEventBus(redis
    ? await openRedisChannel({
      redis, name: `${config.redisKeyPrefix}events:sessions`,
      onError: (error) => logger.warn({ err: { message: error.message } }, 'session event not published'),
    })
    : undefined);
  const logoutOutbox = createLogoutOutbox(database);

  // Services, each from what it needs.
  const audit = createAuditLog({ database, logger });
  const passwords = createPasswordService(settings.argon2, settings.passwordHashing);
  const passwordPolicy = createPasswordPolicy({ ...settings.passwordPolicy, commonPasswords: loadCommonPasswords });
  const users = createUserService({ database, passwords, passwordPolicy, reactivation: settings.accounts.reactivation, defaultRoles: settings.accounts.defaultRoles });
  const mailer = createMailer(mailerOptions(config, logger));
  // Mail whose address must not show in the answer's timing goes out after it (ASVS 5.0 V6.3.8).
  const mailQueue = createAccountMailQueue(database);
  const loginGuard = createLoginGuard({
    database, limiter, mailer, audit, logger, issuer,
    settings: { loginPerIp: settings.rateLimits.loginPerIp, loginFailuresPerIp: settings.rateLimits.loginFailuresPerIp, lockout: settings.lockout },
  });
  const signIn = createSignInService({ users, loginGuard, audit, loginPolicy: settings.emailVerification.loginPolicy });
  const reauthenticate = createReauthentication({ database, passwords, limiter, limit: settings.accounts.reauthenticationLimit, audit });
  const signingKeys = createSigningKeyService({ database, secretBox });
  const logoutDeliveryAdmin = createLogoutDeliveryAdmin({ database, audit });
  // Ends a deleted client's grants and tokens, whether an admin or the client itself deletes it.
  const revokeClientTokens = createClientRevoker({ adapters: withStorageFaults(adapters), database });
  const clients = createClientService({
    database, secretBox, audit, supportedScopes: supportedScopes(settings.resourceServers),
    revokeClientTokens,
    clientChanged: adapters.forgetClient,
    secretRotationOverlapSeconds: settings.clients.secretRotationOverlapSeconds,
    maxRefreshTokenTtlSeconds: settings.ttlSeconds.refreshToken,
  });
  const emailVerification = createEmailVerificationService({ database, mailer, mailQueue, audit, limiter, issuer, settings: settings.emailVerification });
  const invitations = createInvitationService({ database, mailer, issuer, ttlSeconds: settings.registration.invitationTtlSeconds });
  const registration = createRegistrationService({
    database, users, mailer, mailQueue, invitations, audit, limiter, perIp: settings.rateLimits.registrationPerIp,
    issuer, policy: settings.registration.policy,
  });
  const twoFactor = createTwoFactorService({
    database, secretBox, totp: createTotp(), hashBackupCode: createBackupCodeHasher(config.encryptionKey), settings: settings.twoFactor,
    notifyLocked: createSecondFactorLockNotice({ database, mailer, logger, issuer }),
  });
  const trustedDevices = createTrustedDeviceService({ database, ttlDays: settings.twoFactor.trustedDeviceDays });
  const upstreams = createUpstreams(config.upstreams, {
    callbackUrl: (providerId) => federationCallbackUrl(issuer, providerId), allowInsecureHttp: config.env !== 'production',
  });
  const federatedAccounts = createFederatedAccounts({
    database, users, sessionTtlSeconds: settings.sessions.rememberMeSeconds,
    accountCreation: settings.registration.policy === 'open' ? settings.federation.accountCreation : 'off',
  });
  const { revokeRefreshTokensOnEnd: offlinePolicy } = settings.sessions;
  // Ending sessions and revoking grants read the same stores as the provider, faults mapped alike.
  const guardedAdapters = withStorageFaults(adapters);
  // Dynamic registration's initial access tokens: the CLI mints them, the provider counts their uses.
  const initialAccessTokens = createInitialAccessTokens({ adapters: guardedAdapters, database });
  const sessions = createSessionService({
    database, events: sessionEvents, audit, maxPerAccount: settings.sessions.maxPerAccount, originOfCurrentRequest: currentRequestOrigin,
    ender: createSessionEnder({
      adapters: guardedAdapters, database, outbox: logoutOutbox,
      revokesOfflineGrants: (clientId) => offlinePolicy.clients[clientId] ?? offlinePolicy.default,
    }),
  });
  const personalTokens = createPersonalAccessTokens({
    database, audit, hash: createKeyedHash(config.encryptionKey, 'gatehouse/personal-access-tokens'),
    scopes: personalTokenScopes(settings.resourceServers),
  });
  const revokeAccountTokens = createAccountRevoker({
    adapters: guardedAdapters, database, sessions, revokePersonalTokens: (accountId, by) => personalTokens.revokeAll(accountId, by),
  });
  // What each person allowed each app: outlives sessions and grants; removing it ends the app's grants.
  const consents = createConsents({ database, audit, revokeAppGrants: createAppGrantRevoker({ adapters: guardedAdapters, database }) });
  const passwordReset = createPasswordResetService({
    database, mailer, mailQueue, limiter, passwords, passwordPolicy, revokeAccountTokens, audit, logger, issuer, settings: settings.passwordReset,
  });
  const passwordChange = createPasswordChangeService({ database, reauthenticate, passwords, passwordPolicy, revokeAccountTokens, mailer, audit, logger, issuer });
  const startPasswordReset = (email: string, origin: RequestOrigin) => passwordReset.request(email, origin);
  const undoHash = createKeyedHash(config.encryptionKey, 'gatehouse/email-change-undo');
  const emailChange = createEmailChangeService({
    database, reauthenticate, mailer, audit, logger, issuer, tokenTtlSeconds: settings.emailVerification.tokenTtlSeconds,
    undo: { hash: undoHash, ttlSeconds: EMAIL_CHANGE_UNDO_TTL_SECONDS },
  });
  const emailChangeUndo = createEmailChangeUndo({ database, audit, hash: undoHash, revokeAccountTokens, startPasswordReset });
  const accountClosure = createAccountClosureService({
    database, reauthenticate, revokeAccountTokens, mailer, audit, logger, reactivation: settings.accounts.reactivation,
  });
  const userDirectory = createUserDirectory({ database, users });
  const rolesAndGroups = createRolesAndGroups({ database, users, audit });
  const organisations = createOrganisations({ database, users, audit });
  const organisationInvitations = createOrganisationInvitations({ database, mailer, audit, issuer, ttlSeconds: settings.registration.invitationTtlSeconds });
  const userAdmin = createUserAdmin({
    database, users, directory: userDirectory, audit, sessions, revokeAccountTokens, accountClosure, twoFactor, loginGuard, invitations,
    mailQueue, passwords, passwordPolicy, registrationPolicy: settings.registration.policy, mailer, logger, issuer,
  });
  const signInAlerts = createSignInAlerts({
    database, mailer, audit, logger, issuer, revokeAccountTokens, startPasswordReset,
  });

  return {
    config, logger, database, redis, adapters, secretBox, limiter, sessionEvents, logoutOutbox,
    audit, passwords, passwordPolicy, users, mailer, mailQueue, loginGuard, signIn, reauthenticate, signingKeys, logoutDeliveryAdmin, clients, revokeClientTokens, initialAccessTokens, emailVerification, invitations,
    registration, twoFactor, trustedDevices, upstreams, federatedAccounts, sessions, revokeAccountTokens, passwordReset, passwordChange,
    emailChange, emailChangeUndo, accountClosure, signInAlerts, userDirectory, userAdmin, rolesAndGroups, organisations, organisationInvitations, personalTokens,
    consents,
    /** Flushes the audit batch and closes the event channel (the stores are the caller's). */
    async close(): Promise<void> {
      await sessionEvents.close();
      await audit.flush();
    },
  };
}

export type Services = Awaited<ReturnType<typeof composeServices>>;

export interface ComposeAppOptions {
  /** Send back-channel logout notices from this process (the server does; tests may not). */
  deliverLogouts?: boolean;
}

export async function composeApp(services: Services, options: ComposeAppOptions = {}): Promise<App> {
  const { config, logger, database, adapters, sessions, users, audit, limiter, upstreams, federatedAccounts } = services;
  const { settings, issuer } = config;
  const translator = createTranslator({ dir: path.join(PROJECT_ROOT, 'locales') });
  const branding = createBranding(settings.branding);
  const renderer = createRenderer({ viewsDir: path.join(PROJECT_ROOT, 'views'), cache: config.env === 'production', translator, brand: branding.view });

  // The provider, over the same stores, with the Session model indexed by account.
  await services.signingKeys.ensureKeys();
  const provider = createProvider({
    config, logger, users, twoFactor: services.twoFactor, initialAccessTokens: services.initialAccessTokens,
    // Personal access tokens are answered as access tokens from their own table.
    adapter: withStorageFaults(answerPersonalTokens(
      indexSessions(adapters, { database, onSignIn: sessions.recordSignIn }),
      personalTokenLookup(services.personalTokens, services.rolesAndGroups.effectiveAccessOf),
    )),
    signingKeys: await services.signingKeys.loadPrivateJwks(),
    pages: createProviderPages(renderer),
    idpOfSession: federatedAccounts.idpOfSession,
    accessOf: services.rolesAndGroups.effectiveAccessOf,
    organisations: services.organisations,
    rememberedConsent: services.consents.remembered,
    acceptsClientSecret: services.clients.acceptsSecret,
  });
  auditProviderEvents(provider, audit, logger);
  auditRegistrationEvents(provider, audit, logger);
  routeProviderLogoutsThroughOutbox(provider, services.logoutOutbox);
  noteConsentUse(provider, services.consents, logger);
  // RP-initiated logout (end_session) with logout=yes ends the whole session.
  provider.on('end_session.success', (ctx: { oidc: { session?: { accountId?: string; uid?: string; destroyed?: boolean } } }) => {
    const session = ctx.oidc.session;
    if (session?.destroyed && session.accountId && session.uid) void sessions.recordLogout(session.accountId, session.uid);
  });

  // What needs the provider: logout tokens it signs, and the pages and APIs that read its sessions.
  const logoutDeliveries = options.deliverLogouts === false ? undefined : startLogoutDeliveryWorker({
    database, mint: createLogoutTokenMinter(provider), post: createLogoutTokenPoster(settings.sessions.backchannelLogout),
    settings: settings.sessions.backchannelLogout, logger,
  });
  if (logoutDeliveries) services.logoutOutbox.onQueued(() => logoutDeliveries.nudge());
  const { mail } = settings;
  const accountMail = startAccountMailWorker({
    database, logger, settings: mail.queue, sendTimeoutMs: longestSendMs(mail.retry, mail.smtpTimeoutMs),
    senders: {
      password_reset: services.passwordReset.sendRequestedMail,
      verification: services.emailVerification.sendQueuedVerification,
      registration_attempt: services.registration.sendAttemptNotice,
    },
  });

  const secureCookies = issuer.startsWith('https://');
  const csrf = createCsrf({ secrets: config.cookieSecrets, secure: secureCookies });
  const deviceIdOf = createDeviceCookie({ secure: secureCookies });
  const federationCookies = createFederationCookies({ secure: secureCookies, stateTtlSeconds: settings.federation.stateTtlSeconds });
  const journeys = createJourneys({ provider, secure: secureCookies });
  const journeyNotes = createJourneyNotes({ secure: secureCookies });
  const { expiryWarningSeconds } = settings.sessions;
  const sessionStream = createSessionStream({ sessions, events: services.sessionEvents, expiryWarningSeconds });
  const interactions = createInteractionRouter({
    provider, users, audit, signIn: services.signIn, renderer, csrf,
    twoFactor: services.twoFactor, trustedDevices: services.trustedDevices, twoFactorSettings: settings.twoFactor,
    secureCookies, limiter, secondFactorPerIp: settings.rateLimits.secondFactorPerIp,
    upstreams, federatedAccounts, federationCookies, organisations: services.organisations, appLogo: branding.appLogo,
    journeys, journeyNotes, registration: services.registration, consents: services.consents,
    async onSignedIn(ctx, accountId) {
      const origin = requestMeta(ctx);
      // The language of this sign-in's pages is the one the person's mails are written in from now on.
      if (ctx.state.locale) await users.rememberLocale(accountId, ctx.state.locale);
      await services.signInAlerts.recordSignIn(accountId, deviceIdOf(ctx), deviceLabel(origin.userAgent), origin);
    },
  });
  const federationCallback = createFederationCallbackRouter({ provider, issuer, upstreams, federatedAccounts, cookies: federationCookies, audit, renderer });
  const adminApi = createAdminApi({
    provider, issuer, users, audit, limiter, sessions, revokeAccountTokens: services.revokeAccountTokens, events: services.sessionEvents,
    logoutDeliveryAdmin: services.logoutDeliveryAdmin, signingKeys: services.signingKeys,
    userDirectory: services.userDirectory, userAdmin: services.userAdmin, rolesAndGroups: services.rolesAndGroups,
    clients: services.clients, organisations: services.organisations, organisationInvitations: services.organisationInvitations,
    personalTokens: services.personalTokens,
    limits: { perIp: settings.rateLimits.adminApiPerIp, perAccount: settings.rateLimits.adminApiPerAccount },
    expiryWarningSeconds, expiryScanSeconds: settings.adminApi.expiryScanSeconds,
  });
  const account = createAccountRouter({
    ...services, provider, issuer, renderer, csrf, sessionStream, expiryWarningSeconds, federationCookies, journeys, journeyNotes,
  });
  const adminConsole = createConsoleRouter({
    ...services, provider, issuer, renderer, csrf, twoFactorPolicy: settings.twoFactor.policy,
    dashboard: createAdminDashboard({ database }), limiter, perIp: settings.rateLimits.adminConsolePerIp,
  });

  const registrationGuard = guardRegistration({
    provider, offeredScopes: supportedScopes(settings.resourceServers), revokeClientTokens: services.revokeClientTokens,
    limiter, perIp: settings.rateLimits.clientRegistrationPerIp,
  });

  return createHttpApp({
    config, logger, provider, renderer, database, redis: services.redis, limiter, registrationGuard, branding,
    rememberFederatedSession: federatedAccounts.rememberSession,
    interactions, federationCallback, adminApi: adminApi.middleware, account, adminConsole, accountMail,
    async close() {
      sessionStream.endAll();
      adminApi.endAll();
      await accountMail.stop();
      await logoutDeliveries?.stop();
      await services.close();
    },
  });
}
