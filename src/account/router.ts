// Self-service pages (issue 4): registration and email verification. Each route is a list of
// named steps; every form is CSRF-checked before anything else reads it.
import Router from '@koa/router';
import { ACCOUNT_PATHS } from '../http/account-paths.js';
import { parseForm } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { EmailVerificationService } from '../services/email-verification.js';
import type { RegistrationService } from '../services/registration.js';
import { createRegisterSteps } from './register.js';
import { createResendSteps } from './resend-verification.js';
import type { AccountState } from './steps.js';
import { createVerifyEmailSteps } from './verify-email.js';

export interface AccountRouterDeps {
  registration: RegistrationService;
  emailVerification: EmailVerificationService;
  renderer: Renderer;
  csrf: Csrf;
}

export function createAccountRouter(deps: AccountRouterDeps): Router<AccountState> {
  const { csrf } = deps;
  const register = createRegisterSteps(deps);
  const verify = createVerifyEmailSteps(deps);
  const resend = createResendSteps(deps);
  const readForm = parseForm();

  const router = new Router<AccountState>();
  router.get(ACCOUNT_PATHS.register, register.requireRegistrationOpen, register.showRegister);
  router.post(ACCOUNT_PATHS.register, register.requireRegistrationOpen, readForm, csrf.verify, register.handleRegister);
  router.get(ACCOUNT_PATHS.registerSent, register.showCheckInbox);
  router.get(ACCOUNT_PATHS.verifyEmail, verify.showConfirm);
  router.post(ACCOUNT_PATHS.verifyEmail, readForm, csrf.verify, verify.handleConfirm);
  router.get(ACCOUNT_PATHS.verified, verify.showVerified);
  router.get(ACCOUNT_PATHS.resend, resend.showResend);
  router.post(ACCOUNT_PATHS.resend, readForm, csrf.verify, resend.handleResend);
  router.get(ACCOUNT_PATHS.resendSent, resend.showResendSent);
  return router;
}
