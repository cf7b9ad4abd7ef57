// /account/not-me?token=…: the "this wasn't me" link of a new-sign-in mail. The GET shows what
// will happen and a button; the POST signs the account out everywhere and mails a reset link.
import { ACCOUNT_PATHS } from '../http/account-paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { SignInAlerts } from '../services/sign-in-alerts.js';
import type { AccountContext, AccountStep } from './steps.js';

export function createNotMeSteps(deps: { signInAlerts: SignInAlerts; renderer: Renderer; csrf: Csrf }) {
  const { signInAlerts, renderer, csrf } = deps;

  async function renderInvalidLink(ctx: AccountContext): Promise<void> {
    await renderer.render(ctx, 'account/not-me-invalid', { title: 'This link does not work', forgotPath: ACCOUNT_PATHS.forgotPassword }, 400);
  }

  const showNotMe: AccountStep = async function showNotMe(ctx) {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!(await signInAlerts.isNotMeLinkUsable(token))) return renderInvalidLink(ctx);
    await renderer.render(ctx, 'account/not-me', { title: 'Secure your account', action: ACCOUNT_PATHS.notMe, csrfToken: csrf.issue(ctx), token });
  };

  const handleNotMe: AccountStep = async function handleNotMe(ctx) {
    if (!(await signInAlerts.notMe(formOf(ctx).get('token') ?? '', requestMeta(ctx)))) return renderInvalidLink(ctx);
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.notMeDone);
  };

  const showNotMeDone: AccountStep = async function showNotMeDone(ctx) {
    await renderer.render(ctx, 'account/not-me-done', { title: 'Your account was signed out everywhere' });
  };

  return { showNotMe, handleNotMe, showNotMeDone };
}
