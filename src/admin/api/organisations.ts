// Admin API: organisations, their members and org roles, and invitations into them. An
// organisation is named by id or slug in the path; a member by account id or address. Every
// change is audited naming the admin (services/organisations.ts, organisation-invitations.ts).
import type Koa from 'koa';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import type { OrganisationInvitation, OrganisationInvitations } from '../../services/organisation-invitations.js';
import type { Member, Organisation, Organisations } from '../../services/organisations.js';
import type { ApiRoutes } from './operations.js';
import { actorOf } from './users.js';

export interface OrganisationRoutesDeps {
  organisations: Organisations;
  organisationInvitations: OrganisationInvitations;
}

const TAG = 'organisations';
const orgRoles = z.array(z.string()).max(20).describe('org roles: names like role names, meaningful only inside the organisation');
const createBody = z.object({
  slug: z.string().describe('lowercase letters, digits and "-", unique'),
  name: z.string().describe('the name people see, e.g. on the consent page'),
}).strict();
const renameBody = z.object({ name: z.string() }).strict();
const memberBody = z.object({ user: z.string().max(320).describe('account id or email address'), org_roles: orgRoles.default([]) }).strict();
const rolesBody = z.object({ org_roles: orgRoles }).strict();
const inviteBody = z.object({ email: z.string().max(320), org_roles: orgRoles.default([]) }).strict();

export function organisationJson(organisation: Organisation) {
  return { id: organisation.id, slug: organisation.slug, name: organisation.name, members: organisation.members, created_at: organisation.createdAt.toISOString() };
}

export function memberJson(member: Member) {
  return { user_id: member.userId, email: member.email, org_roles: member.orgRoles, added_at: member.addedAt.toISOString() };
}

export function invitationJson(invitation: OrganisationInvitation) {
  return {
    id: invitation.id, organization_id: invitation.organisationId, email: invitation.email, org_roles: invitation.orgRoles,
    expires_at: invitation.expiresAt.toISOString(), created_at: invitation.createdAt.toISOString(),
  };
}

const param = (ctx: Koa.Context, name: string): string => String(ctx.params[name] ?? '');

export function addOrganisationRoutes(routes: ApiRoutes, deps: OrganisationRoutesDeps): void {
  const { organisations, organisationInvitations: invitations } = deps;

  async function found(reference: string) {
    const found = await organisations.find(reference);
    if (!found) throw new NotFoundError(`no organisation ${reference}`);
    return found;
  }

  routes.get('/organizations', { tag: TAG, summary: 'list organisations', success: { description: '`{"organizations": [...]}`' } }, async () => (
    { organizations: (await organisations.list()).map(organisationJson) }));

  routes.post('/organizations', {
    tag: TAG, summary: 'create an organisation', body: createBody,
    success: { status: 201, description: 'the organisation' }, responses: { 409: 'the slug is taken' },
  }, async (ctx, { body }) => organisationJson(await organisations.create(body, actorOf(ctx))));

  routes.get('/organizations/:org', { tag: TAG, summary: 'show an organisation (by id or slug) and its members' }, async (ctx) => {
    const { organisation, members } = await found(param(ctx, 'org'));
    return { ...organisationJson(organisation), member_list: members.map(memberJson) };
  });

  routes.patch('/organizations/:org', { tag: TAG, summary: 'rename an organisation', body: renameBody }, async (ctx, { body }) => (
    organisationJson(await organisations.rename(param(ctx, 'org'), body.name, actorOf(ctx)))));

  routes.delete('/organizations/:org', {
    tag: TAG, summary: 'delete an organisation, its memberships and invitations; its tokens stop refreshing',
    success: { status: 204, description: 'deleted' },
  }, async (ctx) => {
    await organisations.delete(param(ctx, 'org'), actorOf(ctx));
  });

  routes.get('/organizations/:org/members', { tag: TAG, summary: 'list the members and their org roles' }, async (ctx) => (
    { members: (await found(param(ctx, 'org'))).members.map(memberJson) }));

  routes.post('/organizations/:org/members', {
    tag: TAG, summary: 'add a member, with org roles', body: memberBody,
    success: { description: '`{"user_id": id, "changed": boolean}` (false when already a member)' },
  }, async (ctx, { body }) => {
    const { user, changed } = await organisations.setMember(param(ctx, 'org'), body.user, true, actorOf(ctx), body.org_roles);
    return { user_id: user.id, changed };
  });

  routes.delete('/organizations/:org/members/:user', {
    tag: TAG, summary: 'remove a member; their refresh tokens for the organisation stop working',
    success: { description: '`{"user_id": id, "changed": boolean}`' },
  }, async (ctx) => {
    const { user, changed } = await organisations.setMember(param(ctx, 'org'), param(ctx, 'user'), false, actorOf(ctx));
    return { user_id: user.id, changed };
  });

  routes.put('/organizations/:org/members/:user/roles', {
    tag: TAG, summary: 'set a member\'s org roles (replacing them)', body: rolesBody, responses: { 404: 'no such organisation, account or membership' },
  }, async (ctx, { body }) => memberJson(await organisations.setOrgRoles(param(ctx, 'org'), param(ctx, 'user'), body.org_roles, actorOf(ctx))));

  routes.get('/organizations/:org/invitations', { tag: TAG, summary: 'list open invitations' }, async (ctx) => (
    { invitations: (await invitations.listOpen(param(ctx, 'org'))).map(invitationJson) }));

  routes.post('/organizations/:org/invitations', {
    tag: TAG, summary: 'invite an address by email, with the org roles it will hold', body: inviteBody,
    success: { status: 201, description: 'the invitation (its link is only in the mail)' }, responses: { 503: 'the mail could not be sent' },
  }, async (ctx, { body }) => invitationJson(await invitations.invite(param(ctx, 'org'), { email: body.email, orgRoles: body.org_roles }, actorOf(ctx))));

  routes.delete('/organizations/:org/invitations/:invitation', {
    tag: TAG, summary: 'revoke an open invitation', success: { status: 204, description: 'revoked' },
  }, async (ctx) => {
    await invitations.revoke(param(ctx, 'org'), param(ctx, 'invitation'), actorOf(ctx));
  });
}
