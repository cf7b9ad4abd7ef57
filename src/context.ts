// The composition root: every service built once, from its dependencies, for one process.
import type { Config } from './config.js';
import { federationCallbackUrl } from './http/federation-paths.js';
import type { Logger } from './logger.js';
import { supportedScopes } from './oidc/scopes.js';
import { createAccountMailQueue } from './services/account-mail.js';
import { createAuditLog } from './services/audit.js';
import { createBackupCodeHasher } from './services/backup-codes.js';
import { createClientService } from './services/clients.js';
import { loadCommonPasswords } from './services/common-passwords.js';
import { createMailer, mailerOptions } from './services/email.js';
import { createEmailVerificationService } from './services/email-verification.js';
import { createFederatedAccounts } from './services/federated-accounts.js';
import { createUpstreams } from './services/federation.js';
import { createLoginGuard } from './services/login-guard.js';
import { createInvitationService } from './services/invitations.js';
import { createPasswordPolicy } from './services/password-policy.js';
import { createPasswordService } from './services/passwords.js';
import { createRateLimiter } from './services/rate-limiter.js';
import { createReauthentication } from './services/reauthentication.js';
import { createRegistrationService } from './services/registration.js';
import { createSecretBox } from './services/secrets.js';
import { createSigningKeyService } from './services/signing-keys.js';
import { createTotp } from './services/totp.js';
import { createTrustedDeviceService } from './services/trusted-devices.js';
import { createTwoFactorService } from './services/two-factor.js';
import { createUserService } from './services/users.js';
import type { Database } from './storage/db.js';
import { createRateLimitStore } from './storage/rate-limit-store.js';
import type { RedisClient } from './storage/redis.js';

export function createContext(config: Config, database: Database, logger: Logger, redis?: RedisClient) {
  const audit = createAuditLog({ database, logger });
  // Counters shared by every node: Redis when configured, Postgres otherwise.
  const limiter = createRateLimiter(createRateLimitStore({ database, redis, redisKeyPrefix: config.redisKeyPrefix }));
  const secretBox = createSecretBox(config.encryptionKey);
  const passwords = createPasswordService(config.settings.argon2, config.settings.passwordHashing);
  const passwordPolicy = createPasswordPolicy({ ...config.settings.passwordPolicy, commonPasswords: loadCommonPasswords });
  const users = createUserService({ database, passwords, passwordPolicy, reactivation: config.settings.accounts.reactivation });
  const mailer = createMailer(mailerOptions(config, logger));
  const mailQueue = createAccountMailQueue(database);
  const loginGuard = createLoginGuard({
    database, limiter, mailer, audit, logger, issuer: config.issuer,
    settings: { loginPerIp: config.settings.rateLimits.loginPerIp, loginFailuresPerIp: config.settings.rateLimits.loginFailuresPerIp, lockout: config.settings.lockout },
  });
  const reauthenticate = createReauthentication({
    database, passwords, limiter, limit: config.settings.accounts.reauthenticationLimit, audit,
  });
  const signingKeys = createSigningKeyService({ database, secretBox });
  const clients = createClientService({ database, secretBox, supportedScopes: supportedScopes(config.settings.resourceServers) });
  const emailVerification = createEmailVerificationService({
    database, mailer, mailQueue, audit, limiter, issuer: config.issuer, settings: config.settings.emailVerification,
  });
  const invitations = createInvitationService({ database, mailer, issuer: config.issuer, ttlSeconds: config.settings.registration.invitationTtlSeconds });
  const registration = createRegistrationService({
    database, users, mailer, mailQueue, invitations, audit, limiter, perIp: config.settings.rateLimits.registrationPerIp,
    issuer: config.issuer, policy: config.settings.registration.policy,
  });
  const twoFactor = createTwoFactorService({
    database, secretBox, totp: createTotp(), hashBackupCode: createBackupCodeHasher(config.encryptionKey), settings: config.settings.twoFactor,
  });
  const trustedDevices = createTrustedDeviceService({ database, ttlDays: config.settings.twoFactor.trustedDeviceDays });
  const upstreams = createUpstreams(config.upstreams, {
    callbackUrl: (providerId) => federationCallbackUrl(config.issuer, providerId), allowInsecureHttp: config.env !== 'production',
  });
  const federatedAccounts = createFederatedAccounts({
    database, users, sessionTtlSeconds: config.settings.sessions.rememberMeSeconds,
    accountCreation: config.settings.registration.policy === 'open' ? config.settings.federation.accountCreation : 'off',
  });
  return {
    config, logger, database, redis, audit, secretBox, passwords, passwordPolicy, users, signingKeys, clients, mailer, mailQueue, emailVerification, registration, invitations, reauthenticate, limiter, loginGuard,
    twoFactor, trustedDevices, upstreams, federatedAccounts,
  };
}

export type AppContext = ReturnType<typeof createContext>;
