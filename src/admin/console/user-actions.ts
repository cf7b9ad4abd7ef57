// The changes an admin makes to one account, each a POST with CSRF from the person's page. Those
// that cannot be undone or cut someone off (disable, delete, reset two-factor, end every session)
// first show a confirmation page; deleting asks for the address to be typed (ASVS 5.0 V2.3: a
// business flow's steps in order; OWASP: confirm irreversible actions). Every change is audited by
// the service, naming the admin.
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { formFields, formOf } from '../../http/body.js';
import { ADMIN_CONSOLE_PATHS as PATHS } from '../../paths.js';
import type { PersonalAccessTokens } from '../../services/personal-access-tokens.js';
import type { SessionService } from '../../services/sessions.js';
import type { UserAdmin } from '../../services/user-admin.js';
import type { UserDetail, UserDirectory } from '../../services/user-directory.js';
import { actionPath, type UserPageProblem } from './user-detail.js';
import { actorOf, userPath } from './users.js';
import { byAdmin, paramOf, redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

type Fields = Record<string, string>;
type Outcome = { notice: string } | { redirect: string };

interface Action {
  /** A confirmation page first: a button, or the account's address typed in. */
  confirm?: { kind: 'button' | 'typed'; title: string; explain: string; button: string };
  /** Where a refusal is shown on the person's page. */
  form: UserPageProblem['form'];
  run(ctx: ConsoleContext, user: UserDetail, fields: Fields): Promise<Outcome>;
}

export function createUserActionSteps(deps: {
  userDirectory: UserDirectory;
  userAdmin: UserAdmin;
  sessions: SessionService;
  personalTokens: PersonalAccessTokens;
  pages: ConsolePages;
  renderUser(ctx: ConsoleContext, user: UserDetail, problem?: UserPageProblem, status?: number): Promise<void>;
}) {
  const { userDirectory, userAdmin, sessions, personalTokens, pages, renderUser } = deps;

  const actions: Record<string, Action> = {
    profile: {
      form: 'profile',
      async run(ctx, user, fields) {
        await userAdmin.updateProfile(user.id, {
          name: fields.name ?? '', givenName: fields.givenName ?? '', familyName: fields.familyName ?? '', email: (fields.email ?? '').trim(),
        }, actorOf(ctx));
        return { notice: 'profile-saved' };
      },
    },
    'verify-email': {
      form: 'actions',
      async run(ctx, user) {
        await userAdmin.verifyEmail(user.id, actorOf(ctx));
        return { notice: 'email-verified' };
      },
    },
    disable: {
      form: 'actions',
      confirm: {
        kind: 'button', title: 'Disable this account?', button: 'Disable the account',
        explain: 'The person can no longer sign in. Every session ends (each app is told by back-channel logout), and every grant and token of the account is revoked, offline ones included. You can enable the account again later; the apps will need a new sign-in.',
      },
      async run(ctx, user) {
        await userAdmin.disable(user.id, actorOf(ctx));
        return { notice: 'disabled' };
      },
    },
    enable: {
      form: 'actions',
      async run(ctx, user) {
        await userAdmin.enable(user.id, actorOf(ctx));
        return { notice: 'enabled' };
      },
    },
    delete: {
      form: 'actions',
      confirm: {
        kind: 'typed', title: 'Delete this account?', button: 'Delete the account for good',
        explain: 'The account, its sign-in methods, sessions, grants and tokens are deleted, exactly as when a person deletes their own account. The audit trail keeps its rows without the address. This cannot be undone.',
      },
      async run(ctx, user) {
        await userAdmin.remove(user.id, actorOf(ctx));
        return { redirect: `${PATHS.users}?notice=deleted` };
      },
    },
    'reset-two-factor': {
      form: 'actions',
      confirm: {
        kind: 'button', title: 'Reset two-factor sign-in?', button: 'Reset two-factor sign-in',
        explain: 'The authenticator, the backup codes and every remembered device of the account are removed. Do this only once you are sure who is asking: the next sign-in needs only the password (or enrolment, where policy requires it).',
      },
      async run(ctx, user) {
        return { notice: (await userAdmin.resetTwoFactor(user.id, actorOf(ctx))) ? 'two-factor-reset' : 'two-factor-off' };
      },
    },
    unlock: {
      form: 'actions',
      async run(ctx, user) {
        return { notice: (await userAdmin.unlock(user.id, actorOf(ctx))) ? 'unlocked' : 'not-locked' };
      },
    },
    'send-password-reset': {
      form: 'actions',
      async run(ctx, user) {
        await userAdmin.sendPasswordReset(user.id, actorOf(ctx));
        return { notice: 'reset-sent' };
      },
    },
    'end-sessions': {
      form: 'actions',
      confirm: {
        kind: 'button', title: 'End every session of this account?', button: 'End every session',
        explain: 'The person is signed out everywhere, and each app that asked is told by back-channel logout. The account itself stays as it is: they can sign in again.',
      },
      async run(ctx, user) {
        await sessions.endAll(user.id, 'admin', byAdmin(ctx));
        return { notice: 'sessions-ended' };
      },
    },
    'end-session': {
      form: 'actions',
      async run(ctx, user, fields) {
        const ended = await sessions.endByUid(user.id, (fields.session ?? '').slice(0, 100), 'admin', byAdmin(ctx));
        return { notice: ended === 'not-found' ? 'session-gone' : 'session-ended' };
      },
    },
    'revoke-personal-token': {
      form: 'actions',
      async run(ctx, user, fields) {
        // The same call as the admin API's DELETE: audited as personal_token.revoked, naming the admin.
        const actor = actorOf(ctx);
        const revoked = await personalTokens.revoke(user, (fields.token ?? '').slice(0, 100), actor.origin, actor.by);
        return { notice: revoked ? 'token-revoked' : 'token-gone' };
      },
    },
    'add-role': {
      form: 'roles',
      async run(ctx, user, fields) {
        const { changed } = await userAdmin.setRole(user.id, (fields.role ?? '').trim(), true, actorOf(ctx));
        return { notice: changed ? 'role-added' : 'role-unchanged' };
      },
    },
    'remove-role': {
      form: 'roles',
      async run(ctx, user, fields) {
        const { changed } = await userAdmin.setRole(user.id, fields.role ?? '', false, actorOf(ctx));
        return { notice: changed ? 'role-removed' : 'role-unchanged' };
      },
    },
  };

  function actionNamed(ctx: ConsoleContext): Action {
    const name = paramOf(ctx, 'action');
    const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!action) throw new NotFoundError('There is no such action.');
    return action;
  }

  async function renderConfirm(ctx: ConsoleContext, user: UserDetail, action: Action, error?: string): Promise<void> {
    const confirm = action.confirm!;
    await pages.render(ctx, 'confirm', 'users', {
      title: confirm.title, explain: confirm.explain, button: confirm.button, typed: confirm.kind === 'typed' ? user.email : null,
      subject: user.email, action: actionPath(user.id, paramOf(ctx, 'action')), cancelPath: userPath(user.id), error: error ?? null,
    }, error ? 400 : 200);
  }

  /** GET of a confirmed action: the confirmation page (the action itself only ever runs on POST). */
  const confirmAction: ConsoleStep = async function confirmAction(ctx) {
    const action = actionNamed(ctx);
    const user = await userDirectory.show(paramOf(ctx, 'id'));
    if (!action.confirm) return redirectTo(ctx, userPath(user.id));
    await renderConfirm(ctx, user, action);
  };

  const runAction: ConsoleStep = async function runAction(ctx) {
    const action = actionNamed(ctx);
    const user = await userDirectory.show(paramOf(ctx, 'id'));
    const fields = formFields(formOf(ctx));
    if (action.confirm) {
      if (fields.confirmed !== 'yes') return redirectTo(ctx, actionPath(user.id, paramOf(ctx, 'action')));
      if (action.confirm.kind === 'typed' && (fields.confirmation ?? '').trim().toLowerCase() !== user.email.toLowerCase()) {
        return renderConfirm(ctx, user, action, `Type the address ${user.email} exactly to confirm.`);
      }
    }
    let outcome: Outcome;
    try {
      outcome = await action.run(ctx, user, fields);
    } catch (error) {
      if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
      const typed = action.form === 'profile'
        ? { name: fields.name ?? '', givenName: fields.givenName ?? '', familyName: fields.familyName ?? '', email: fields.email ?? '' } : undefined;
      return renderUser(ctx, user, { form: action.form, message: error.message, ...(typed ? { profile: typed } : {}) }, error instanceof ConflictError ? 409 : 400);
    }
    redirectTo(ctx, 'redirect' in outcome ? outcome.redirect : `${userPath(user.id)}?notice=${outcome.notice}`);
  };

  return { confirmAction, runAction };
}
