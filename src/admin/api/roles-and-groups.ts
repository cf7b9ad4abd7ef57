// Admin API: the role catalogue and groups (members and the roles they hold). A role or group is
// named in the path; a malformed name is a 400 naming the field, an unknown one a 404. The rules
// (the admin role stays, a group's new role is defined with it) and the audit rows
// (admin.role_changed / admin.group_changed, naming the admin) are the service's.
import type Koa from 'koa';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../errors.js';
import {
  descriptionSchema, groupNameSchema, type Group, type GroupMember, type Role, type RolesAndGroups,
} from '../../services/roles-and-groups.js';
import { roleSchema } from '../../services/users.js';
import { parseInput, type ApiRoutes } from './operations.js';
import { actorOf } from './users.js';

export interface RoleAndGroupRoutesDeps {
  rolesAndGroups: RolesAndGroups;
}

const roleBody = z.object({ name: roleSchema, description: descriptionSchema.optional() }).strict();
const groupBody = z.object({
  name: groupNameSchema,
  description: descriptionSchema.optional(),
  roles: z.array(roleSchema).max(100).default([]).describe('roles the group holds; a role not yet defined is defined with it'),
}).strict();
const describeBody = z.object({ description: descriptionSchema }).strict();

function roleJson(role: Role) {
  return { name: role.name, description: role.description, holders: role.holders, groups: role.groups, created_at: role.createdAt.toISOString() };
}

function groupJson(group: Group) {
  return { name: group.name, description: group.description, roles: group.roles, member_count: group.members, created_at: group.createdAt.toISOString() };
}

function memberJson(member: GroupMember) {
  return { id: member.userId, email: member.email, added_at: member.addedAt.toISOString() };
}

/** A path parameter checked as a name: a 400 with `fields` naming it when malformed. */
function nameIn(ctx: Koa.Context, param: string, schema: z.ZodString): string {
  return parseInput(z.object({ [param]: schema }), { [param]: String(ctx.params[param] ?? '') }, 'path')[param] as string;
}

export function addRoleAndGroupRoutes(routes: ApiRoutes, deps: RoleAndGroupRoutesDeps): void {
  const { rolesAndGroups } = deps;
  const roleNamed = (ctx: Koa.Context) => nameIn(ctx, 'name', roleSchema);
  const groupNamed = (ctx: Koa.Context) => nameIn(ctx, 'name', groupNameSchema);

  async function requireRole(name: string): Promise<Role> {
    const role = await rolesAndGroups.findRole(name);
    if (!role) throw new NotFoundError(`no role named ${name}`);
    return role;
  }

  async function requireGroup(name: string) {
    const found = await rolesAndGroups.findGroup(name);
    if (!found) throw new NotFoundError(`no group named ${name}`);
    return found;
  }

  routes.get('/roles', {
    tag: 'roles', summary: 'list the roles defined, with how many accounts and groups hold each',
    success: { description: '`{"roles": [{name, description, holders, groups, created_at}]}`' },
  }, async () => ({ roles: (await rolesAndGroups.listRoles()).map(roleJson) }));

  routes.post('/roles', {
    tag: 'roles', summary: 'define a role', body: roleBody,
    success: { status: 201, description: 'the role' }, responses: { 409: 'a role with the name exists' },
  }, async (ctx, { body }) => {
    if (await rolesAndGroups.findRole(body.name)) throw new ConflictError(`a role named ${body.name} exists; PATCH it to change its description`);
    const { role } = await rolesAndGroups.defineRole(body, actorOf(ctx));
    ctx.set('Location', `${ctx.path.replace(/\/$/, '')}/${role.name}`);
    return roleJson(role);
  });

  routes.get('/roles/:name', { tag: 'roles', summary: 'show a role' }, async (ctx) => roleJson(await requireRole(roleNamed(ctx))));

  routes.patch('/roles/:name', {
    tag: 'roles', summary: 'change a role\'s description', body: describeBody,
  }, async (ctx, { body }) => {
    const name = roleNamed(ctx);
    await requireRole(name);
    return roleJson((await rolesAndGroups.defineRole({ name, description: body.description }, actorOf(ctx))).role);
  });

  routes.delete('/roles/:name', {
    tag: 'roles', summary: 'delete a role, taking it from every account and group',
    success: { status: 204, description: 'deleted' }, responses: { 409: 'the admin role, which lets admins in' },
  }, async (ctx) => {
    await rolesAndGroups.deleteRole(roleNamed(ctx), actorOf(ctx));
  });

  routes.get('/groups', {
    tag: 'groups', summary: 'list the groups, with their roles and how many members each has',
    success: { description: '`{"groups": [{name, description, roles, member_count, created_at}]}`' },
  }, async () => ({ groups: (await rolesAndGroups.listGroups()).map(groupJson) }));

  routes.post('/groups', {
    tag: 'groups', summary: 'create a group, with the roles it holds', body: groupBody,
    success: { status: 201, description: 'the group' }, responses: { 409: 'a group with the name exists' },
  }, async (ctx, { body }) => {
    if (await rolesAndGroups.findGroup(body.name)) throw new ConflictError(`a group named ${body.name} exists; PATCH it to change its description`);
    const { group } = await rolesAndGroups.defineGroup(body, actorOf(ctx));
    ctx.set('Location', `${ctx.path.replace(/\/$/, '')}/${group.name}`);
    return groupJson(group);
  });

  routes.get('/groups/:name', {
    tag: 'groups', summary: 'show a group and its members',
    success: { description: 'the group, with `members`: [{id, email, added_at}]' },
  }, async (ctx) => {
    const { group, members } = await requireGroup(groupNamed(ctx));
    return { ...groupJson(group), members: members.map(memberJson) };
  });

  routes.patch('/groups/:name', {
    tag: 'groups', summary: 'change a group\'s description', body: describeBody,
  }, async (ctx, { body }) => {
    const name = groupNamed(ctx);
    await requireGroup(name);
    return groupJson((await rolesAndGroups.defineGroup({ name, description: body.description }, actorOf(ctx))).group);
  });

  routes.delete('/groups/:name', {
    tag: 'groups', summary: 'delete a group: its members lose the roles it gave them',
    success: { status: 204, description: 'deleted' },
  }, async (ctx) => {
    await rolesAndGroups.deleteGroup(groupNamed(ctx), actorOf(ctx));
  });

  const membership = (member: boolean) => async (ctx: Koa.Context) => {
    const group = groupNamed(ctx);
    const { user, changed } = await rolesAndGroups.setMember(group, String(ctx.params.user ?? ''), member, actorOf(ctx));
    return { group, user: { id: user.id, email: user.email }, member, changed };
  };
  const memberSuccess = { description: '`{"group", "user": {id, email}, "member": boolean, "changed": boolean}`' };
  routes.put('/groups/:name/members/:user', {
    tag: 'groups', summary: 'add a user (by id or email address) to a group', success: memberSuccess,
  }, membership(true));
  routes.delete('/groups/:name/members/:user', {
    tag: 'groups', summary: 'take a user (by id or email address) out of a group', success: memberSuccess,
  }, membership(false));

  const groupRole = (held: boolean) => async (ctx: Koa.Context) => {
    const role = nameIn(ctx, 'role', roleSchema);
    const { group, changed } = await rolesAndGroups.setGroupRole(groupNamed(ctx), role, held, actorOf(ctx));
    return { ...groupJson(group), changed };
  };
  const groupRoleSuccess = { description: 'the group, and `changed`: false when it already held (or lacked) the role' };
  routes.put('/groups/:name/roles/:role', {
    tag: 'groups', summary: 'give a group a role (defining the role when new)', success: groupRoleSuccess,
  }, groupRole(true));
  routes.delete('/groups/:name/roles/:role', {
    tag: 'groups', summary: 'take a role away from a group', success: groupRoleSuccess,
  }, groupRole(false));
}
