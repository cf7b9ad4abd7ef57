// The second half of the composition root: services that sign an account out everywhere, which
// they do through the provider, so they are built once it exists (context.ts builds the rest).
import type Provider from 'oidc-provider';
import type { AppContext } from './context.js';
import { createAccountRevoker } from './oidc/account-revocation.js';
import type { SessionEnder } from './oidc/session-ending.js';
import { createAccountClosureService } from './services/account-closure.js';
import { createEmailChangeService } from './services/email-change.js';
import { createPasswordChangeService } from './services/password-change.js';
import { createPasswordResetService } from './services/password-reset.js';
import { createSignInAlerts } from './services/sign-in-alerts.js';

export function createProviderBoundServices(context: AppContext, provider: Provider, sessionEnder: SessionEnder) {
  const { config, logger, database, mailer, mailQueue, passwords, passwordPolicy, reauthenticate, audit, limiter } = context;
  const revokeAccountTokens = createAccountRevoker(provider, database, sessionEnder);
  const passwordReset = createPasswordResetService({
    database,
    mailer,
    mailQueue,
    limiter,
    passwords,
    passwordPolicy,
    revokeAccountTokens,
    audit,
    logger,
    issuer: config.issuer,
    settings: config.settings.passwordReset,
  });
  const passwordChange = createPasswordChangeService({
    database, reauthenticate, passwords, passwordPolicy, revokeAccountTokens, mailer, audit, logger, issuer: config.issuer,
  });
  const emailChange = createEmailChangeService({
    database, reauthenticate, mailer, audit, logger, issuer: config.issuer, tokenTtlSeconds: config.settings.emailVerification.tokenTtlSeconds,
  });
  const accountClosure = createAccountClosureService({
    database, reauthenticate, revokeAccountTokens, mailer, audit, logger, reactivation: config.settings.accounts.reactivation,
  });
  const signInAlerts = createSignInAlerts({
    database, mailer, audit, logger, issuer: config.issuer, revokeAccountTokens,
    startPasswordReset: (email, origin) => passwordReset.request(email, origin),
  });
  return { revokeAccountTokens, passwordReset, passwordChange, emailChange, accountClosure, signInAlerts };
}
