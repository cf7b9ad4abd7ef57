// /account/verify-email?token=…: the GET only shows a button; the POST uses the token. Mail
// scanners that prefetch links therefore cannot spend it.
import { ACCOUNT_PATHS } from '../http/account-paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { EmailVerificationService } from '../services/email-verification.js';
import { isWellFormedToken } from '../services/link-tokens.js';
import type { AccountContext, AccountStep } from './steps.js';

export function createVerifyEmailSteps(deps: { emailVerification: EmailVerificationService; renderer: Renderer; csrf: Csrf }) {
  const { emailVerification, renderer, csrf } = deps;

  async function renderInvalidLink(ctx: AccountContext): Promise<void> {
    await renderer.render(ctx, 'account/link-invalid', {
      title: 'This link does not work',
      resendPath: ACCOUNT_PATHS.resend,
    }, 400);
  }

  const showConfirm: AccountStep = async function showConfirm(ctx) {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!isWellFormedToken(token)) return renderInvalidLink(ctx);
    await renderer.render(ctx, 'account/verify-email', {
      title: 'Confirm your email address',
      action: ACCOUNT_PATHS.verifyEmail,
      csrfToken: csrf.issue(ctx),
      token,
    });
  };

  const handleConfirm: AccountStep = async function handleConfirm(ctx) {
    const token = formOf(ctx).get('token') ?? '';
    if (!(await emailVerification.verify(token, requestMeta(ctx)))) return renderInvalidLink(ctx);
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.verified);
  };

  const showVerified: AccountStep = async function showVerified(ctx) {
    await renderer.render(ctx, 'account/verified', { title: 'Email address confirmed' });
  };

  return { showConfirm, handleConfirm, showVerified };
}
