// The console's organisation pages, for global admins and for organisation admins (a member whose
// org roles include `admin`). An organisation admin sees only the organisations they administer;
// any other is answered as if it did not exist. They may invite people by email, set members' org
// roles and remove members; adding an existing account directly, without an invitation, is left
// to global admins. Every change is audited by the service, naming who made it.
import { AppError, NotFoundError } from '../../errors.js';
import { formFields, formOf } from '../../http/body.js';
import { requestMeta } from '../../http/request-meta.js';
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import type { OrganisationInvitations } from '../../services/organisation-invitations.js';
import type { Organisation, Organisations } from '../../services/organisations.js';
import type { AdminActor } from '../../services/user-admin.js';
import { adminOf, paramOf, queryText, redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

const NOTICES: Record<string, string> = {
  invited: 'The invitation is on its way.',
  'roles-set': 'The org roles were saved.',
  removed: 'The member was removed.',
  added: 'The member was added.',
  unchanged: 'Nothing changed.',
};

/** Org roles as typed: separated by commas or spaces. */
function rolesTyped(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter((role) => role !== '');
}

export function createOrganisationSteps(deps: { organisations: Organisations; organisationInvitations: OrganisationInvitations; pages: ConsolePages }) {
  const { organisations, organisationInvitations: invitations, pages } = deps;

  function actorOf(ctx: ConsoleContext): AdminActor {
    const { user, organisations: limited } = adminOf(ctx);
    return { by: `${limited ? 'org-admin' : 'admin'}:${user.id}`, origin: requestMeta(ctx), accountId: user.id };
  }

  function mayManage(ctx: ConsoleContext, organisation: Organisation): boolean {
    const limited = adminOf(ctx).organisations;
    return !limited || limited.includes(organisation.id);
  }

  /** The organisation of the path, if this admin may manage it (NotFoundError otherwise, so others' stay unseen). */
  async function organisationOf(ctx: ConsoleContext) {
    const found = await organisations.find(paramOf(ctx, 'id'));
    if (!found || !mayManage(ctx, found.organisation)) throw new NotFoundError('There is no such organisation.');
    return found;
  }

  async function renderOrganisation(ctx: ConsoleContext, problem?: string, status = 200): Promise<void> {
    const { organisation, members } = await organisationOf(ctx);
    const action = (name: string) => adminConsolePath(PATHS.organisationAction, { id: organisation.id, action: name });
    const notice = NOTICES[queryText(ctx, 'notice', 32)] ?? null;
    await pages.render(ctx, 'organisation', 'organisations', {
      title: organisation.name,
      organisation: { ...organisation, createdAt: organisation.createdAt.toISOString() },
      members: members.map((member) => ({ userId: member.userId, email: member.email, orgRoles: member.orgRoles.join(', ') })),
      invitations: (await invitations.listOpen(organisation.id)).map((invitation) => ({
        email: invitation.email, orgRoles: invitation.orgRoles.join(', '), expiresAt: invitation.expiresAt.toISOString(),
      })),
      canAddDirectly: !adminOf(ctx).organisations,
      paths: { invite: action('invite'), roles: action('roles'), remove: action('remove'), add: action('add') },
      notice, problem: problem ?? null,
    }, status);
  }

  const listOrganisations: ConsoleStep = async function listOrganisations(ctx) {
    const limited = adminOf(ctx).organisations;
    const listed = await organisations.list(limited);
    await pages.render(ctx, 'organisations', 'organisations', {
      title: 'Organisations',
      organisations: listed.map((organisation) => ({ ...organisation, path: adminConsolePath(PATHS.organisation, { id: organisation.id }) })),
      limited: Boolean(limited),
    });
  };

  const showOrganisation: ConsoleStep = async function showOrganisation(ctx) {
    await renderOrganisation(ctx);
  };

  const actions: Record<string, (ctx: ConsoleContext, organisationId: string, fields: Record<string, string>) => Promise<string>> = {
    async invite(ctx, id, fields) {
      await invitations.invite(id, { email: (fields.email ?? '').trim(), orgRoles: rolesTyped(fields.orgRoles) }, actorOf(ctx));
      return 'invited';
    },
    async roles(ctx, id, fields) {
      await organisations.setOrgRoles(id, fields.user ?? '', rolesTyped(fields.orgRoles), actorOf(ctx));
      return 'roles-set';
    },
    async remove(ctx, id, fields) {
      return (await organisations.setMember(id, fields.user ?? '', false, actorOf(ctx))).changed ? 'removed' : 'unchanged';
    },
    async add(ctx, id, fields) {
      return (await organisations.setMember(id, (fields.email ?? '').trim(), true, actorOf(ctx), rolesTyped(fields.orgRoles))).changed ? 'added' : 'unchanged';
    },
  };

  const runAction: ConsoleStep = async function runAction(ctx) {
    const { organisation } = await organisationOf(ctx);
    const name = paramOf(ctx, 'action');
    const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
    // Adding an account without its owner's say (no invitation) is for global admins only.
    if (!action || (name === 'add' && adminOf(ctx).organisations)) throw new NotFoundError('There is no such action.');
    try {
      const notice = await action(ctx, organisation.id, formFields(formOf(ctx)));
      redirectTo(ctx, `${adminConsolePath(PATHS.organisation, { id: organisation.id })}?notice=${notice}`);
    } catch (error) {
      // A refused value (a bad address or role, someone who is not a member) is said on the page.
      if (error instanceof AppError && error.status < 500) return renderOrganisation(ctx, error.message, error.status);
      throw error;
    }
  };

  return { listOrganisations, showOrganisation, runAction };
}
