// The admin console under /admin: server-rendered pages for accounts with the admin role. Every
// route is a list of named steps; every form is CSRF-checked before anything reads it, and every
// page but signing in starts with requireAdmin, which reads the role on each request.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import { parseForm } from '../../http/body.js';
import type { Csrf } from '../../http/csrf.js';
import type { Renderer } from '../../http/render.js';
import { ADMIN_CONSOLE_PATHS as PATHS } from '../../paths.js';
import type { AdminDashboard } from '../../services/admin-dashboard.js';
import type { AuditLog } from '../../services/audit.js';
import type { ClientService } from '../../services/clients.js';
import type { LogoutDeliveryAdmin } from '../../services/logout-delivery-admin.js';
import type { RolesAndGroups } from '../../services/roles-and-groups.js';
import type { SessionService } from '../../services/sessions.js';
import type { SigningKeySummary } from '../../services/signing-keys.js';
import type { TwoFactorPolicy, TwoFactorService } from '../../services/two-factor.js';
import type { PersonalAccessTokens } from '../../services/personal-access-tokens.js';
import type { UserAdmin } from '../../services/user-admin.js';
import type { UserDirectory } from '../../services/user-directory.js';
import type { UserService } from '../../services/users.js';
import { RateLimitedError } from '../../errors.js';
import type { RateLimit, RateLimiter } from '../../services/rate-limiter.js';
import { createAuditSteps } from './audit.js';
import { createClientActionSteps } from './client-actions.js';
import { createClientsSteps } from './clients.js';
import { createDashboardSteps } from './dashboard.js';
import { createDeliveriesSteps } from './deliveries.js';
import { createGroupsSteps } from './groups.js';
import { createKeysSteps } from './keys.js';
import { createRolesSteps } from './roles.js';
import { createConsoleSession } from './session.js';
import { createConsolePages, type ConsoleState } from './state.js';
import { createUserActionSteps } from './user-actions.js';
import { createUserDetailSteps } from './user-detail.js';
import { createUsersSteps } from './users.js';
import { createOrganisationSteps } from './organisations.js';
import type { Organisations } from '../../services/organisations.js';
import type { OrganisationInvitations } from '../../services/organisation-invitations.js';

export interface ConsoleRouterDeps {
  provider: Provider;
  issuer: string;
  renderer: Renderer;
  csrf: Csrf;
  users: UserService;
  userDirectory: UserDirectory;
  userAdmin: UserAdmin;
  rolesAndGroups: RolesAndGroups;
  sessions: SessionService;
  personalTokens: PersonalAccessTokens;
  twoFactor: TwoFactorService;
  twoFactorPolicy: TwoFactorPolicy;
  audit: AuditLog;
  clients: ClientService;
  dashboard: AdminDashboard;
  logoutDeliveryAdmin: LogoutDeliveryAdmin;
  signingKeys: { list(): Promise<SigningKeySummary[]> };
  limiter: RateLimiter;
  /** Console requests from one IP, signed in or not (as the admin API counts its own). */
  perIp: RateLimit;
  organisations: Organisations;
  organisationInvitations: OrganisationInvitations;
}

export function createConsoleRouter(deps: ConsoleRouterDeps): Router<ConsoleState> {
  const { csrf } = deps;
  const pages = createConsolePages(deps);
  const session = createConsoleSession({ ...deps, pages, organisationsAdministeredBy: deps.organisations.administeredBy });
  const dashboard = createDashboardSteps({ ...deps, pages });
  const clients = createClientsSteps({ ...deps, pages });
  const clientActions = createClientActionSteps({ ...deps, pages, renderClient: clients.renderClient });
  const users = createUsersSteps({ ...deps, pages });
  const userDetail = createUserDetailSteps({ ...deps, pages });
  const userActions = createUserActionSteps({ ...deps, pages, renderUser: userDetail.renderUser });
  const roles = createRolesSteps({ ...deps, pages });
  const groups = createGroupsSteps({ ...deps, pages });
  const audit = createAuditSteps({ ...deps, pages });
  const deliveries = createDeliveriesSteps({ ...deps, pages });
  const keys = createKeysSteps({ ...deps, pages });
  const organisations = createOrganisationSteps({ ...deps, pages });
  const readForm = parseForm();
  const admin = session.requireAdmin;
  // Forms are read and their CSRF token checked before the admin check, which may answer a page.
  const form = [readForm, csrf.verify, admin] as const;

  const router = new Router<ConsoleState>();
  // Everything here is about people and secrets: never cached.
  router.use(async function noStore(ctx, next) {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(async function limitConsoleRequests(ctx, next) {
    const decision = await deps.limiter.hit(`admin-console:ip:${ctx.ip}`, deps.perIp);
    if (!decision.allowed) {
      throw new RateLimitedError(`Too many requests to the admin console. Try again in ${decision.retryAfterSeconds} seconds.`, decision.retryAfterSeconds);
    }
    await next();
  });
  router.get(PATHS.signIn, session.startSignIn);
  router.get(PATHS.signedIn, session.finishSignIn);
  router.post(PATHS.signOut, readForm, csrf.verify, session.signOut);
  router.get(PATHS.home, admin, dashboard.showDashboard);

  router.get(PATHS.clients, admin, clients.listClients);
  router.get(PATHS.newClient, admin, clients.showNewClient);
  router.post(PATHS.newClient, ...form, clients.createClient);
  router.get(PATHS.client, admin, clients.showClient);
  router.post(PATHS.client, ...form, clientActions.updateClient);
  router.get(PATHS.rotateSecret, admin, clientActions.confirmRotate);
  router.post(PATHS.rotateSecret, ...form, clientActions.rotateSecret);
  router.get(PATHS.deleteClient, admin, clientActions.confirmDelete);
  router.post(PATHS.deleteClient, ...form, clientActions.deleteClient);

  router.get(PATHS.users, admin, users.listUsers);
  router.get(PATHS.newUser, admin, users.showNewUser);
  router.post(PATHS.newUser, ...form, users.createUser);
  router.get(PATHS.user, admin, userDetail.showUser);
  router.get(PATHS.userAction, admin, userActions.confirmAction);
  router.post(PATHS.userAction, ...form, userActions.runAction);

  router.get(PATHS.roles, admin, roles.listRoles);
  router.post(PATHS.roles, ...form, roles.defineRole);
  router.get(PATHS.deleteRole, admin, roles.confirmDeleteRole);
  router.post(PATHS.deleteRole, ...form, roles.deleteRole);

  router.get(PATHS.groups, admin, groups.listGroups);
  router.post(PATHS.groups, ...form, groups.createGroup);
  router.get(PATHS.group, admin, groups.showGroup);
  router.get(PATHS.groupAction, admin, groups.confirmGroupAction);
  router.post(PATHS.groupAction, ...form, groups.runGroupAction);

  router.get(PATHS.audit, admin, audit.showAudit);
  router.get(PATHS.deliveries, admin, deliveries.showDeliveries);
  router.post(PATHS.retryDelivery, ...form, deliveries.retryDelivery);
  router.get(PATHS.keys, admin, keys.showKeys);

  // Organisation admins (not global admins) reach these pages only, limited to their organisations.
  const orgAdmin = session.requireOrganisationAdmin;
  router.get(PATHS.organisations, orgAdmin, organisations.listOrganisations);
  router.get(PATHS.organisation, orgAdmin, organisations.showOrganisation);
  router.post(PATHS.organisationAction, readForm, csrf.verify, orgAdmin, organisations.runAction);
  return router;
}
