// The composition root: every service built once, from its dependencies, for one process.
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { supportedScopes } from './oidc/scopes.js';
import { createAuditLog } from './services/audit.js';
import { createBackupCodeHasher } from './services/backup-codes.js';
import { createClientService } from './services/clients.js';
import { loadCommonPasswords } from './services/common-passwords.js';
import { createMailer, mailerOptions } from './services/email.js';
import { createEmailVerificationService } from './services/email-verification.js';
import { createFixedWindowLimiter } from './services/fixed-window-limiter.js';
import { createInvitationService } from './services/invitations.js';
import { createPasswordPolicy } from './services/password-policy.js';
import { createPasswordService } from './services/passwords.js';
import { createReauthentication } from './services/reauthentication.js';
import { createRegistrationService } from './services/registration.js';
import { createSecretBox } from './services/secrets.js';
import { createSigningKeyService } from './services/signing-keys.js';
import { createTotp } from './services/totp.js';
import { createTrustedDeviceService } from './services/trusted-devices.js';
import { createTwoFactorService } from './services/two-factor.js';
import { createUserService } from './services/users.js';
import type { Database } from './storage/db.js';
import type { RedisClient } from './storage/redis.js';

export function createContext(config: Config, database: Database, logger: Logger, redis?: RedisClient) {
  const audit = createAuditLog({ database, logger });
  const secretBox = createSecretBox(config.encryptionKey);
  const passwords = createPasswordService(config.settings.argon2, config.settings.passwordHashing);
  const passwordPolicy = createPasswordPolicy({ ...config.settings.passwordPolicy, commonPasswords: loadCommonPasswords });
  const users = createUserService({ database, passwords, passwordPolicy, reactivation: config.settings.accounts.reactivation });
  const reauthenticate = createReauthentication({
    database, passwords, limiter: createFixedWindowLimiter({ database }), limit: config.settings.accounts.reauthenticationLimit, audit,
  });
  const signingKeys = createSigningKeyService({ database, secretBox });
  const clients = createClientService({ database, secretBox, supportedScopes: supportedScopes(config.settings.resourceServers) });
  const mailer = createMailer(mailerOptions(config, logger));
  const emailVerification = createEmailVerificationService({
    database, mailer, audit, limiter: createFixedWindowLimiter({ database }), issuer: config.issuer, settings: config.settings.emailVerification,
  });
  const invitations = createInvitationService({ database, mailer, issuer: config.issuer, ttlSeconds: config.settings.registration.invitationTtlSeconds });
  const registration = createRegistrationService({
    database, users, emailVerification, mailer, invitations, audit, issuer: config.issuer, policy: config.settings.registration.policy,
  });
  const twoFactor = createTwoFactorService({
    database, secretBox, totp: createTotp(), hashBackupCode: createBackupCodeHasher(config.encryptionKey), settings: config.settings.twoFactor,
  });
  const trustedDevices = createTrustedDeviceService({ database, ttlDays: config.settings.twoFactor.trustedDeviceDays });
  return {
    config, logger, database, redis, audit, secretBox, passwords, passwordPolicy, users, signingKeys, clients, mailer, emailVerification, registration, invitations, reauthenticate,
    twoFactor, trustedDevices,
  };
}

export type AppContext = ReturnType<typeof createContext>;
