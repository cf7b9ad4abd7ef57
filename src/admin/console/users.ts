// People: the searchable list, and a new account (with a password the admin sets, or an invitation
// mailed to register). One person's page and the changes made there are in user-detail.ts and
// user-actions.ts.
import { ConflictError, ValidationError } from '../../errors.js';
import { formFields, formOf } from '../../http/body.js';
import { formProblem, noProblems, type FormProblems } from '../../http/form-problems.js';
import { requestMeta } from '../../http/request-meta.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import { WeakPasswordError } from '../../services/password-policy.js';
import type { UserAdmin } from '../../services/user-admin.js';
import { USER_STATUSES, type UserDirectory } from '../../services/user-directory.js';
import { adminOf, byAdmin, queryText, redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

const PAGE_SIZE = 50;
const NEW_USER_FIELDS = ['email', 'name', 'password', 'roles', 'mode'] as const;
type NewUserField = (typeof NEW_USER_FIELDS)[number];
type NewUserValues = { email: string; name: string; roles: string; mode: 'create' | 'invite'; emailVerified: boolean };

const NOTICES: Record<string, string> = {
  deleted: 'The account was deleted.',
  invited: 'The invitation is on its way.',
};

/** What a console change is audited with: the admin, and where the request came from. */
export function actorOf(ctx: ConsoleContext) {
  return { ...byAdmin(ctx), origin: requestMeta(ctx), accountId: adminOf(ctx).user.id };
}

export function userPath(id: string): string {
  return adminConsolePath(PATHS.user, { id });
}

export function createUsersSteps(deps: { userDirectory: UserDirectory; userAdmin: UserAdmin; pages: ConsolePages }) {
  const { userDirectory, userAdmin, pages } = deps;

  const listUsers: ConsoleStep = async function listUsers(ctx) {
    const filters = { search: queryText(ctx, 'search', 200).trim(), status: queryText(ctx, 'status', 16), role: queryText(ctx, 'role', 40).trim() };
    const cursor = queryText(ctx, 'cursor', 200);
    let problem: string | undefined;
    let page: Awaited<ReturnType<UserDirectory['list']>> = { users: [], next: undefined };
    try {
      page = await userDirectory.list({
        search: filters.search || undefined,
        status: (filters.status || undefined) as (typeof USER_STATUSES)[number] | undefined,
        role: filters.role || undefined, cursor: cursor || undefined, limit: PAGE_SIZE,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problem = error.message;
    }
    const notice = queryText(ctx, 'notice', 16);
    await pages.render(ctx, 'users', 'users', {
      title: 'Users', filters, statuses: USER_STATUSES, problem,
      notice: Object.hasOwn(NOTICES, notice) ? NOTICES[notice] : undefined,
      users: page.users.map((user) => ({ ...user, createdAt: user.createdAt.toISOString(), path: userPath(user.id) })),
      nextLink: page.next ? `${PATHS.users}?${new URLSearchParams({ ...filters, cursor: page.next }).toString()}` : undefined,
      newPath: PATHS.newUser,
    }, problem ? 400 : 200);
  };

  async function renderNewUser(ctx: ConsoleContext, values: NewUserValues, problems: FormProblems<NewUserField>, status: number): Promise<void> {
    await pages.render(ctx, 'user-new', 'users', { title: 'New user', values, errors: problems.summary, fieldErrors: problems.fields, action: PATHS.newUser }, status);
  }

  const showNewUser: ConsoleStep = async function showNewUser(ctx) {
    await renderNewUser(ctx, { email: '', name: '', roles: '', mode: 'create', emailVerified: true }, noProblems(), 200);
  };

  const createUser: ConsoleStep = async function createUser(ctx) {
    const fields = formFields(formOf(ctx));
    const values: NewUserValues = {
      email: (fields.email ?? '').trim().slice(0, 320), name: (fields.name ?? '').slice(0, 200), roles: (fields.roles ?? '').slice(0, 400),
      mode: fields.mode === 'invite' ? 'invite' : 'create', emailVerified: fields.emailVerified === 'yes',
    };
    const actor = actorOf(ctx);
    try {
      if (values.mode === 'invite') {
        await userAdmin.invite(values.email, actor, adminOfEmail(ctx));
        redirectTo(ctx, `${PATHS.users}?notice=invited`);
        return;
      }
      const roles = values.roles.split(/[\s,]+/).filter(Boolean);
      const user = await userAdmin.create({
        email: values.email, password: fields.password ?? '', emailVerified: values.emailVerified, roles,
        ...(values.name.trim() ? { name: values.name } : {}),
      }, actor);
      redirectTo(ctx, `${userPath(user.id)}?notice=created`);
    } catch (error) {
      if (error instanceof WeakPasswordError) return renderNewUser(ctx, values, formProblem(error.message, 'password'), 400);
      if (error instanceof ConflictError) return renderNewUser(ctx, values, formProblem(error.message, 'email'), 409);
      if (error instanceof ValidationError) return renderNewUser(ctx, values, formProblem(error.message, fieldNamed(error.message)), 400);
      throw error;
    }
  };

  return { listUsers, showNewUser, createUser };
}

function adminOfEmail(ctx: ConsoleContext): string {
  return ctx.state.admin?.user.email ?? '';
}

/** The form field a service's "field: reason" message names, if it is one of ours. */
function fieldNamed(message: string): NewUserField | null {
  const name = /^([a-zA-Z]+)/.exec(message)?.[1];
  return NEW_USER_FIELDS.find((field) => field === name) ?? null;
}
