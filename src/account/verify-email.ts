// /account/verify-email?token=…: the GET only shows a button; the POST uses the token. Mail
// scanners that prefetch links therefore cannot spend it.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { EmailVerificationService } from '../services/email-verification.js';
import { isWellFormedToken } from '../crypto/tokens.js';
import { confirmByButton } from './confirm-by-button.js';
import type { AccountStep } from './steps.js';

export function createVerifyEmailSteps(deps: { emailVerification: EmailVerificationService; renderer: Renderer; csrf: Csrf }) {
  const { emailVerification, renderer } = deps;

  const { showButton: showConfirm, useLink: handleConfirm } = confirmByButton(deps, {
    view: 'account/verify-email',
    title: 'Confirm your email address',
    action: ACCOUNT_PATHS.verifyEmail,
    donePath: ACCOUNT_PATHS.verified,
    // Only the shape: the POST is where the token is looked up.
    isUsable: isWellFormedToken,
    use: (token, origin) => emailVerification.verify(token, origin),
    async renderInvalid(ctx) {
      await renderer.render(ctx, 'account/link-invalid', { title: 'This link does not work', resendPath: ACCOUNT_PATHS.resend }, 400);
    },
  });

  const showVerified: AccountStep = async function showVerified(ctx) {
    await renderer.render(ctx, 'account/verified', { title: 'Email address confirmed' });
  };

  return { showConfirm, handleConfirm, showVerified };
}
