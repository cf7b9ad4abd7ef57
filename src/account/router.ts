// Self-service pages (issue 4): registration, email verification and password reset. Each route is a list of
// named steps; every form is CSRF-checked before anything else reads it.
import Router from '@koa/router';
import { ACCOUNT_PATHS } from '../http/account-paths.js';
import { parseForm } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { EmailVerificationService } from '../services/email-verification.js';
import type { PasswordResetService } from '../services/password-reset.js';
import type { RegistrationService } from '../services/registration.js';
import { createForgotPasswordSteps } from './forgot-password.js';
import { createRegisterSteps } from './register.js';
import { createResendSteps } from './resend-verification.js';
import { createResetPasswordSteps } from './reset-password.js';
import type { AccountState } from './steps.js';
import { createVerifyEmailSteps } from './verify-email.js';

export interface AccountRouterDeps {
  registration: RegistrationService;
  emailVerification: EmailVerificationService;
  passwordReset: PasswordResetService;
  renderer: Renderer;
  csrf: Csrf;
}

export function createAccountRouter(deps: AccountRouterDeps): Router<AccountState> {
  const { csrf } = deps;
  const register = createRegisterSteps(deps);
  const verify = createVerifyEmailSteps(deps);
  const resend = createResendSteps(deps);
  const forgot = createForgotPasswordSteps(deps);
  const reset = createResetPasswordSteps(deps);
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
  router.get(ACCOUNT_PATHS.forgotPassword, forgot.showForgotPassword);
  router.post(ACCOUNT_PATHS.forgotPassword, readForm, csrf.verify, forgot.handleForgotPassword);
  router.get(ACCOUNT_PATHS.forgotPasswordSent, forgot.showForgotPasswordSent);
  router.get(ACCOUNT_PATHS.resetPassword, reset.showResetPassword);
  router.post(ACCOUNT_PATHS.resetPassword, readForm, csrf.verify, reset.handleResetPassword);
  router.get(ACCOUNT_PATHS.resetPasswordDone, reset.showResetPasswordDone);
  return router;
}
