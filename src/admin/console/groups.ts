// Groups: the list and a form to create one; a group's page with its description, members (added
// by email address) and roles, each changed by a POST with CSRF; deleting a group goes through a
// confirmation page that asks for its name to be typed. The service checks names and audits each
// change, naming the admin.
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { formFields, formOf } from '../../http/body.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import type { Group, GroupMember, RolesAndGroups } from '../../services/roles-and-groups.js';
import { actorOf, userPath } from './users.js';
import { paramOf, queryText, redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

type Fields = Record<string, string>;
type Found = { group: Group; members: GroupMember[] };

const LIST_NOTICES: Record<string, string> = { deleted: 'The group was deleted.' };
const GROUP_NOTICES: Record<string, string> = {
  created: 'The group was created.',
  described: 'The description was saved.',
  'member-added': 'The person was added to the group.',
  'member-removed': 'The person was taken out of the group.',
  'role-added': 'The group now holds the role.',
  'role-removed': 'The role was taken away from the group.',
  unchanged: 'Nothing changed.',
};

function groupPath(name: string): string {
  return adminConsolePath(PATHS.group, { name });
}

function groupActionPath(name: string, action: string): string {
  return adminConsolePath(PATHS.groupAction, { name, action });
}

/** Role names as typed: separated by commas or spaces. */
function namesIn(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean).slice(0, 100);
}

export function createGroupsSteps(deps: { rolesAndGroups: RolesAndGroups; pages: ConsolePages }) {
  const { rolesAndGroups, pages } = deps;

  async function renderGroups(ctx: ConsoleContext, problem?: { message: string; typed: Fields }, status = 200): Promise<void> {
    const groups = await rolesAndGroups.listGroups();
    const notice = queryText(ctx, 'notice', 16);
    await pages.render(ctx, 'groups', 'groups', {
      title: 'Groups', problem: problem?.message, typed: problem?.typed ?? { name: '', description: '', roles: '' },
      notice: !problem && Object.hasOwn(LIST_NOTICES, notice) ? LIST_NOTICES[notice] : undefined,
      groups: groups.map((group) => ({ ...group, path: groupPath(group.name) })),
      action: PATHS.groups,
    }, status);
  }

  const listGroups: ConsoleStep = async function listGroups(ctx) {
    await renderGroups(ctx);
  };

  const createGroup: ConsoleStep = async function createGroup(ctx) {
    const fields = formFields(formOf(ctx));
    const typed = { name: (fields.name ?? '').trim().slice(0, 100), description: (fields.description ?? '').slice(0, 1000), roles: (fields.roles ?? '').slice(0, 5000) };
    try {
      if (await rolesAndGroups.findGroup(typed.name)) throw new ConflictError(`A group named ${typed.name} exists already.`);
      await rolesAndGroups.defineGroup({ name: typed.name, description: typed.description, roles: namesIn(typed.roles) }, actorOf(ctx));
    } catch (error) {
      if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
      return renderGroups(ctx, { message: error.message, typed }, error instanceof ConflictError ? 409 : 400);
    }
    redirectTo(ctx, `${groupPath(typed.name)}?notice=created`);
  };

  async function groupNamed(ctx: ConsoleContext): Promise<Found> {
    const found = await rolesAndGroups.findGroup(paramOf(ctx, 'name'));
    if (!found) throw new NotFoundError('There is no such group.');
    return found;
  }

  async function renderGroup(ctx: ConsoleContext, found: Found, problem?: { form: string; message: string }, status = 200): Promise<void> {
    const { group, members } = found;
    const notice = queryText(ctx, 'notice', 16);
    const action = (name: string) => groupActionPath(group.name, name);
    await pages.render(ctx, 'group', 'groups', {
      title: `Group ${group.name}`, group, problem,
      notice: !problem && Object.hasOwn(GROUP_NOTICES, notice) ? GROUP_NOTICES[notice] : undefined,
      members: members.map((member) => ({ id: member.userId, email: member.email, addedAt: member.addedAt.toISOString(), path: userPath(member.userId) })),
      paths: {
        groups: PATHS.groups, roles: PATHS.roles, describe: action('describe'), addMember: action('add-member'), removeMember: action('remove-member'),
        addRole: action('add-role'), removeRole: action('remove-role'), remove: action('delete'),
      },
    }, status);
  }

  const showGroup: ConsoleStep = async function showGroup(ctx) {
    await renderGroup(ctx, await groupNamed(ctx));
  };

  async function renderConfirmDelete(ctx: ConsoleContext, group: Group, error?: string): Promise<void> {
    await pages.render(ctx, 'confirm', 'groups', {
      title: 'Delete this group?', subject: group.name,
      explain: `Its ${group.members} member(s) lose the roles they held through it and leave the groups claim; apps that require the group stop admitting them. This cannot be undone.`,
      button: 'Delete the group for good', typed: group.name, error: error ?? null,
      action: groupActionPath(group.name, 'delete'), cancelPath: groupPath(group.name),
    }, error ? 400 : 200);
  }

  type Outcome = { notice: string } | { redirect: string };
  const actions: Record<string, { form: string; run(ctx: ConsoleContext, group: Group, fields: Fields): Promise<Outcome> }> = {
    describe: {
      form: 'describe',
      async run(ctx, group, fields) {
        await rolesAndGroups.defineGroup({ name: group.name, description: fields.description ?? '' }, actorOf(ctx));
        return { notice: 'described' };
      },
    },
    'add-member': {
      form: 'members',
      async run(ctx, group, fields) {
        const { changed } = await rolesAndGroups.setMember(group.name, (fields.email ?? '').trim().slice(0, 320), true, actorOf(ctx));
        return { notice: changed ? 'member-added' : 'unchanged' };
      },
    },
    'remove-member': {
      form: 'members',
      async run(ctx, group, fields) {
        const { changed } = await rolesAndGroups.setMember(group.name, (fields.user ?? '').slice(0, 320), false, actorOf(ctx));
        return { notice: changed ? 'member-removed' : 'unchanged' };
      },
    },
    'add-role': {
      form: 'roles',
      async run(ctx, group, fields) {
        const { changed } = await rolesAndGroups.setGroupRole(group.name, (fields.role ?? '').trim().slice(0, 100), true, actorOf(ctx));
        return { notice: changed ? 'role-added' : 'unchanged' };
      },
    },
    'remove-role': {
      form: 'roles',
      async run(ctx, group, fields) {
        const { changed } = await rolesAndGroups.setGroupRole(group.name, (fields.role ?? '').slice(0, 100), false, actorOf(ctx));
        return { notice: changed ? 'role-removed' : 'unchanged' };
      },
    },
    delete: {
      form: 'delete',
      async run(ctx, group) {
        await rolesAndGroups.deleteGroup(group.name, actorOf(ctx));
        return { redirect: `${PATHS.groups}?notice=deleted` };
      },
    },
  };

  function actionNamed(ctx: ConsoleContext) {
    const name = paramOf(ctx, 'action');
    const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!action) throw new NotFoundError('There is no such action.');
    return action;
  }

  /** GET of an action: deleting shows its confirmation; the others only ever run on POST. */
  const confirmGroupAction: ConsoleStep = async function confirmGroupAction(ctx) {
    const action = actionNamed(ctx);
    const { group } = await groupNamed(ctx);
    if (action.form !== 'delete') return redirectTo(ctx, groupPath(group.name));
    await renderConfirmDelete(ctx, group);
  };

  const runGroupAction: ConsoleStep = async function runGroupAction(ctx) {
    const action = actionNamed(ctx);
    const found = await groupNamed(ctx);
    const fields = formFields(formOf(ctx));
    if (action.form === 'delete') {
      if (fields.confirmed !== 'yes') return redirectTo(ctx, groupActionPath(found.group.name, 'delete'));
      if ((fields.confirmation ?? '').trim() !== found.group.name) {
        return renderConfirmDelete(ctx, found.group, `Type the group's name, ${found.group.name}, exactly to confirm.`);
      }
    }
    let outcome: Outcome;
    try {
      outcome = await action.run(ctx, found.group, fields);
    } catch (error) {
      // An address with no account is the admin's typing, shown on the form, not a missing page; a
      // change that would take the admin's own admin role away is refused there too.
      const shown = error instanceof ValidationError || error instanceof ConflictError || (error instanceof NotFoundError && action.form === 'members');
      if (!shown) throw error;
      const status = error instanceof NotFoundError ? 404 : error instanceof ConflictError ? 409 : 400;
      return renderGroup(ctx, found, { form: action.form, message: (error as Error).message }, status);
    }
    redirectTo(ctx, 'redirect' in outcome ? outcome.redirect : `${groupPath(found.group.name)}?notice=${outcome.notice}`);
  };

  return { listGroups, createGroup, showGroup, confirmGroupAction, runGroupAction };
}
