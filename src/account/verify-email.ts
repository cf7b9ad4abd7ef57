// /account/verify-email?token=…: the GET only shows a button (and only for a link that still
// works); the POST uses the token. Mail scanners that prefetch links therefore cannot spend it.
// The journey then goes on: back into the open sign-in, or to the app the link was asked from.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import type { EmailVerificationService, VerifiedEmail } from '../services/email-verification.js';
import { confirmByButton } from './confirm-by-button.js';
import type { JourneyEnd } from './journey-end.js';
import type { AccountStep } from './steps.js';

export function createVerifyEmailSteps(deps: { emailVerification: EmailVerificationService; renderer: Renderer; csrf: Csrf; journeyEnd: JourneyEnd }) {
  const { emailVerification, renderer, journeyEnd } = deps;

  const { showButton: showConfirm, useLink: handleConfirm } = confirmByButton<false, VerifiedEmail>(deps, {
    view: 'account/verify-email',
    title: 'Confirm your email address',
    action: ACCOUNT_PATHS.verifyEmail,
    donePath: (ctx, verified) => journeyEnd.afterLink(ctx, ACCOUNT_PATHS.verified, 'email-confirmed', verified),
    // A used or expired link shows no button: it says so and what to do next.
    isUsable: (token) => emailVerification.isUsable(token),
    use: (token, origin) => emailVerification.verify(token, origin),
    isDone: (outcome): outcome is VerifiedEmail => outcome !== false,
    async renderInvalid(ctx) {
      await renderer.render(ctx, 'account/link-invalid', {
        title: 'This link does not work', resendPath: ACCOUNT_PATHS.resend, end: await journeyEnd.endOf(ctx),
      }, 400);
    },
  });

  const showVerified: AccountStep = async function showVerified(ctx) {
    await renderer.render(ctx, 'account/verified', { title: 'Email address confirmed', end: await journeyEnd.endOf(ctx) });
  };

  return { showConfirm, handleConfirm, showVerified };
}
