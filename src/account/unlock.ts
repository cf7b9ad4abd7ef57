// /account/unlock?token=…: the link mailed when an account is locked after failed sign-ins. The
// GET only shows a button; the POST spends the link, so mail scanners cannot.
import { ACCOUNT_PATHS } from '../http/account-paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { LoginGuard } from '../services/login-guard.js';
import type { AccountContext, AccountStep } from './steps.js';

export function createUnlockSteps(deps: { loginGuard: LoginGuard; renderer: Renderer; csrf: Csrf }) {
  const { loginGuard, renderer, csrf } = deps;

  async function renderInvalidLink(ctx: AccountContext): Promise<void> {
    await renderer.render(ctx, 'account/unlock-invalid', { title: 'This link does not work', forgotPath: ACCOUNT_PATHS.forgotPassword }, 400);
  }

  const showUnlock: AccountStep = async function showUnlock(ctx) {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!(await loginGuard.isUnlockLinkUsable(token))) return renderInvalidLink(ctx);
    await renderer.render(ctx, 'account/unlock', { title: 'Unlock your account', action: ACCOUNT_PATHS.unlock, csrfToken: csrf.issue(ctx), token });
  };

  const handleUnlock: AccountStep = async function handleUnlock(ctx) {
    if (!(await loginGuard.unlockWithLink(formOf(ctx).get('token') ?? '', requestMeta(ctx)))) return renderInvalidLink(ctx);
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.unlocked);
  };

  const showUnlocked: AccountStep = async function showUnlocked(ctx) {
    await renderer.render(ctx, 'account/unlocked', { title: 'Your account is unlocked', homePath: ACCOUNT_PATHS.home });
  };

  return { showUnlock, handleUnlock, showUnlocked };
}
