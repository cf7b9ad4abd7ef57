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
import type { LogoutDeliveryAdmin } from '../../services/logout-delivery-admin.js';
import type { createClientService } from '../../services/clients.js';
import type { SigningKeySummary } from '../../services/signing-keys.js';
import type { TwoFactorPolicy, TwoFactorService } from '../../services/two-factor.js';
import type { UserService } from '../../services/users.js';
import { createAuditSteps } from './audit.js';
import { createClientsSteps } from './clients.js';
import { createDashboardSteps } from './dashboard.js';
import { createDeliveriesSteps } from './deliveries.js';
import { createKeysSteps } from './keys.js';
import { createConsoleSession } from './session.js';
import { createConsolePages, type ConsoleState } from './state.js';

export interface ConsoleRouterDeps {
  provider: Provider;
  issuer: string;
  renderer: Renderer;
  csrf: Csrf;
  users: UserService;
  twoFactor: TwoFactorService;
  twoFactorPolicy: TwoFactorPolicy;
  audit: AuditLog;
  clients: ReturnType<typeof createClientService>;
  dashboard: AdminDashboard;
  logoutDeliveryAdmin: LogoutDeliveryAdmin;
  signingKeys: { list(): Promise<SigningKeySummary[]> };
}

export function createConsoleRouter(deps: ConsoleRouterDeps): Router<ConsoleState> {
  const { csrf } = deps;
  const pages = createConsolePages(deps);
  const session = createConsoleSession({ ...deps, pages });
  const dashboard = createDashboardSteps({ ...deps, pages });
  const keys = createKeysSteps({ ...deps, pages });
  const audit = createAuditSteps({ ...deps, pages });
  const clients = createClientsSteps({ ...deps, pages });
  const deliveries = createDeliveriesSteps({ ...deps, pages });
  const readForm = parseForm();
  const admin = session.requireAdmin;

  const router = new Router<ConsoleState>();
  // Everything here is about people and secrets: never cached.
  router.use(async function noStore(ctx, next) {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.get(PATHS.signIn, session.startSignIn);
  router.get(PATHS.signedIn, session.finishSignIn);
  router.post(PATHS.signOut, readForm, csrf.verify, session.signOut);
  router.get(PATHS.home, admin, dashboard.showDashboard);
  router.get(PATHS.clients, admin, clients.listClients);
  router.get(PATHS.newClient, admin, clients.showNewClient);
  router.post(PATHS.newClient, readForm, csrf.verify, admin, clients.createClient);
  router.get(PATHS.client, admin, clients.showClient);
  router.get(PATHS.audit, admin, audit.showAudit);
  router.get(PATHS.deliveries, admin, deliveries.showDeliveries);
  router.post(PATHS.retryDelivery, readForm, csrf.verify, admin, deliveries.retryDelivery);
  router.get(PATHS.keys, admin, keys.showKeys);
  return router;
}
