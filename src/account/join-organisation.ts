// /account/organisations/join?token=…: the link of an invitation into an organisation. The token
// moves at once from the URL into a short-lived HttpOnly cookie (so it leaves no trace in history
// or Referer, and survives the trip through sign-in or registration, which return to the path
// without its query); the signed-in person then sees whom the invitation is for and accepts it
// with a button, so a mail scanner that prefetches the link cannot spend it.
import { ACCOUNT_PATHS } from '../paths.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { AppError } from '../errors.js';
import type { OrganisationInvitations } from '../services/organisation-invitations.js';
import { accountOf, type AccountContext, type AccountStep } from './steps.js';

const COOKIE = 'gatehouse.org-invitation';
const COOKIE_PATH = '/account/organisations';
const COOKIE_SECONDS = 24 * 3600;
const VIEW = 'account/organisation-invitation';

export function createJoinOrganisationSteps(deps: { organisationInvitations: OrganisationInvitations; renderer: Renderer; csrf: Csrf; issuer: string }) {
  const { organisationInvitations: invitations, renderer, csrf } = deps;
  const secure = deps.issuer.startsWith('https:');

  function tokenOf(ctx: AccountContext): string {
    return ctx.cookies.get(COOKIE) ?? '';
  }

  function forgetToken(ctx: AccountContext): void {
    ctx.cookies.set(COOKIE, null, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure });
  }

  async function renderProblem(ctx: AccountContext, message: string, status = 400): Promise<void> {
    await renderer.render(ctx, VIEW, { title: 'This invitation does not work', state: 'problem', message, homePath: ACCOUNT_PATHS.home }, status);
  }

  /** Before sign-in: the token goes from the link into the cookie, and the browser to the bare path. */
  const keepToken: AccountStep = async function keepToken(ctx, next) {
    const token = ctx.query.token;
    if (typeof token !== 'string') return next();
    ctx.cookies.set(COOKIE, token.slice(0, 100), { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure, maxAge: COOKIE_SECONDS * 1000 });
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATHS.joinOrganisation);
  };

  const showInvitation: AccountStep = async function showInvitation(ctx) {
    const invitation = await invitations.describe(tokenOf(ctx));
    if (!invitation) return renderProblem(ctx, 'This invitation link has expired, was already used, or is incomplete. Ask for a new one.');
    const { user } = accountOf(ctx);
    const forSomeoneElse = invitation.email.toLowerCase() !== user.email.toLowerCase();
    await renderer.render(ctx, VIEW, {
      title: `Join ${invitation.organisationName}`, state: forSomeoneElse ? 'someone-else' : 'invited',
      organisationName: invitation.organisationName, invitedEmail: invitation.email, accountEmail: user.email,
      action: ACCOUNT_PATHS.joinOrganisation, csrfToken: csrf.issue(ctx), homePath: ACCOUNT_PATHS.home,
    });
  };

  const acceptInvitation: AccountStep = async function acceptInvitation(ctx) {
    try {
      const joined = await invitations.accept(tokenOf(ctx), accountOf(ctx).user, requestMeta(ctx));
      forgetToken(ctx);
      await renderer.render(ctx, VIEW, { title: `You joined ${joined.organisationName}`, state: 'joined', organisationName: joined.organisationName, homePath: ACCOUNT_PATHS.home });
    } catch (error) {
      // Not found, someone else's invitation, or already used: a readable page, not an error page.
      if (error instanceof AppError && error.status < 500) return renderProblem(ctx, error.message, error.status);
      throw error;
    }
  };

  return { keepToken, showInvitation, acceptInvitation };
}
