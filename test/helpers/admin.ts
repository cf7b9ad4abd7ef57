// Admin API callers for tests: an app registered for the admin API as an operator would
// (`clients add --scope "openid admin"`), admins made through the user service, and tokens got by
// signing in on the real pages with resource=<issuer>/admin/api.
import type * as oidc from 'openid-client';
import { adminApiResource } from '../../src/paths.js';
import { Browser } from './browser.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from './relying-party.js';
import { SESSION_TEST_PASSWORD } from './sessions.js';
import type { TestApp } from './start-app.js';

export const ADMIN_TEST_PASSWORD = SESSION_TEST_PASSWORD;

export async function adminConsoleClient(app: TestApp): Promise<oidc.Configuration> {
  const registered = await app.context.clients.register({ name: 'Admin console', redirectUris: [RP_REDIRECT_URI], scope: 'openid admin' });
  return discoverIssuer(app.issuer, registered.clientId, registered.clientSecret!);
}

/** Signs in on the real pages asking for the admin API, and returns the access token and the consent page's words. */
export async function adminToken(app: TestApp, rp: oidc.Configuration, email: string): Promise<{ token: string; consentPage: string }> {
  const result = await signIn(new Browser(), rp, {
    email, password: ADMIN_TEST_PASSWORD, scope: 'openid admin', extraParams: { resource: adminApiResource(app.issuer) },
  });
  const tokens = await exchangeCode(rp, result);
  return { token: tokens.access_token, consentPage: result.pages.map((page) => page.body).join('\n') };
}

export async function createAdmin(app: TestApp, email: string): Promise<string> {
  const user = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
  await app.context.users.changeRoles(email, { add: ['admin'], remove: [] });
  return user.id;
}

/** A call to the admin API; a JSON body is sent as such. */
export function callAdminApi(app: TestApp, path: string, token: string | undefined, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers: Record<string, string> = {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(rest.headers as Record<string, string> | undefined),
  };
  return fetch(`${app.issuer}/admin/api${path}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
}
