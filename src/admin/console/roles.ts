// The role catalogue: every role with how many accounts and groups hold it, a form that defines a
// role (or changes the description of one that exists), and deleting a role after a confirmation
// page (it is taken from everyone who holds it). The service refuses to delete the admin role and
// audits each change, naming the admin.
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { formFields, formOf } from '../../http/body.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import type { RolesAndGroups } from '../../services/roles-and-groups.js';
import { ADMIN_ROLE } from '../../services/users.js';
import { actorOf } from './users.js';
import { paramOf, queryText, redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

const NOTICES: Record<string, string> = {
  defined: 'The role was defined.',
  described: 'The role\'s description was saved.',
  deleted: 'The role was deleted: no account or group holds it any more.',
};

interface RolesProblem {
  message: string;
  /** What was typed into the form, kept. */
  typed?: { name: string; description: string };
}

export function createRolesSteps(deps: { rolesAndGroups: RolesAndGroups; pages: ConsolePages }) {
  const { rolesAndGroups, pages } = deps;

  async function renderRoles(ctx: ConsoleContext, problem?: RolesProblem, status = 200): Promise<void> {
    const roles = await rolesAndGroups.listRoles();
    const notice = queryText(ctx, 'notice', 16);
    await pages.render(ctx, 'roles', 'roles', {
      title: 'Roles', problem: problem?.message, typed: problem?.typed ?? { name: '', description: '' },
      notice: !problem && Object.hasOwn(NOTICES, notice) ? NOTICES[notice] : undefined,
      roles: roles.map((role) => ({
        name: role.name, description: role.description, holders: role.holders, groups: role.groups,
        usersPath: `${PATHS.users}?${new URLSearchParams({ role: role.name }).toString()}`,
        deletePath: role.name === ADMIN_ROLE ? null : adminConsolePath(PATHS.deleteRole, { name: role.name }),
      })),
      action: PATHS.roles,
    }, status);
  }

  const listRoles: ConsoleStep = async function listRoles(ctx) {
    await renderRoles(ctx);
  };

  const defineRole: ConsoleStep = async function defineRole(ctx) {
    const fields = formFields(formOf(ctx));
    const typed = { name: (fields.name ?? '').trim().slice(0, 100), description: (fields.description ?? '').slice(0, 1000) };
    try {
      // An empty description leaves an existing role's as it was.
      const { created } = await rolesAndGroups.defineRole({ name: typed.name, description: typed.description.trim() || undefined }, actorOf(ctx));
      redirectTo(ctx, `${PATHS.roles}?notice=${created ? 'defined' : 'described'}`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderRoles(ctx, { message: error.message, typed }, 400);
    }
  };

  async function roleNamed(ctx: ConsoleContext) {
    const role = await rolesAndGroups.findRole(paramOf(ctx, 'name'));
    if (!role) throw new NotFoundError('There is no such role.');
    return role;
  }

  async function renderConfirm(ctx: ConsoleContext, name: string, holders: number, groups: number, error?: string, status = 200): Promise<void> {
    await pages.render(ctx, 'confirm', 'roles', {
      title: 'Delete this role?', subject: name,
      explain: `${holders} account(s) and ${groups} group(s) hold the role; they all lose it, and apps see it gone from the next token. Apps that require it admit nobody through it any more. This cannot be undone.`,
      button: 'Delete the role', typed: null, error: error ?? null,
      action: adminConsolePath(PATHS.deleteRole, { name }), cancelPath: PATHS.roles,
    }, status);
  }

  const confirmDeleteRole: ConsoleStep = async function confirmDeleteRole(ctx) {
    const role = await roleNamed(ctx);
    await renderConfirm(ctx, role.name, role.holders, role.groups);
  };

  const deleteRole: ConsoleStep = async function deleteRole(ctx) {
    const role = await roleNamed(ctx);
    if (formOf(ctx).get('confirmed') !== 'yes') return redirectTo(ctx, adminConsolePath(PATHS.deleteRole, { name: role.name }));
    try {
      await rolesAndGroups.deleteRole(role.name, actorOf(ctx));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return renderConfirm(ctx, role.name, role.holders, role.groups, error.message, 409);
    }
    redirectTo(ctx, `${PATHS.roles}?notice=deleted`);
  };

  return { listRoles, defineRole, confirmDeleteRole, deleteRole };
}
