// Service accounts: an admin gives a client_credentials client roles (admin API, service_roles);
// its JWT access tokens, verified with the published keys, carry them as `roles`, and so does the
// introspection of its opaque tokens. A client without service roles gets no roles claim, a role
// list on a client without client_credentials is refused naming the field, and dynamic
// registration cannot give a client roles. The same from the command line.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, storageVariants } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';
import { cliFixture } from '../helpers/cli-fixture.js';
import { runCli } from '../helpers/gatehouse-process.js';
import { introspect as introspectAt, type ConfidentialClient } from '../helpers/introspection.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const API = 'https://reports.example.test';
const settings = createSettingsFiles('gh-service-accounts-');
afterAll(() => settings.remove());

async function introspect(app: TestApp, caller: ConfidentialClient, token: string): Promise<Record<string, unknown>> {
  return introspectAt(app.issuer, caller, token);
}

describe.each(storageVariants)('service accounts on $name', ({ options }) => {
  let app: TestApp;
  let adminBearer: string;
  let service: { id: string; secret: string };
  let rp: oidc.Configuration;

  beforeAll(async () => {
    app = await startTestApp({
      ...options,
      env: { SETTINGS_FILE: settings.file('jwt-api', { resourceServers: { [API]: { scope: 'reports:read', accessTokenFormat: 'jwt', jwtAlgorithm: 'ES256' } } }) },
    });
    const email = 'service-accounts-admin@example.test';
    await createAdmin(app, email);
    ({ token: adminBearer } = await adminToken(app, await adminConsoleClient(app), email));
    const created = await callAdminApi(app, '/clients', adminBearer, {
      method: 'POST',
      json: { client_name: 'Nightly reports', grant_types: ['client_credentials'], scope: 'reports:read', service_roles: ['reporter', 'auditor'] },
    });
    expect(created.status).toBe(201);
    const body = await created.json() as { client_id: string; client_secret: string; service_roles: string[] };
    expect(body.service_roles).toEqual(['reporter', 'auditor']);
    service = { id: body.client_id, secret: body.client_secret };
    rp = await oidc.discovery(new URL(app.issuer), service.id, service.secret, undefined, { execute: [oidc.allowInsecureRequests] });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('puts the roles in a JWT access token, verifiable with the published keys', async () => {
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: API, scope: 'reports:read' });
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.issuer}/jwks`)), {
      issuer: app.issuer, audience: API, typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ client_id: service.id, scope: 'reports:read', roles: ['reporter', 'auditor'] });
    expect(payload.sub).toBe(service.id);
  });

  it('shows the roles at the introspection of an opaque token, and follows an update', async () => {
    const opaque = await oidc.clientCredentialsGrant(rp, { scope: 'reports:read' });
    expect(opaque.access_token.split('.')).toHaveLength(1);
    expect(await introspect(app, service, opaque.access_token)).toMatchObject({ active: true, client_id: service.id, roles: ['reporter', 'auditor'] });

    const changed = await callAdminApi(app, `/clients/${service.id}`, adminBearer, { method: 'PATCH', json: { service_roles: ['reporter'] } });
    expect(changed.status).toBe(200);
    expect((await changed.json() as { service_roles: string[] }).service_roles).toEqual(['reporter']);
    const after = await oidc.clientCredentialsGrant(rp, { scope: 'reports:read' });
    expect((await introspect(app, service, after.access_token)).roles).toEqual(['reporter']);

    const cleared = await callAdminApi(app, `/clients/${service.id}`, adminBearer, { method: 'PATCH', json: { service_roles: null } });
    expect(await cleared.json()).not.toHaveProperty('service_roles');
    const plain = await oidc.clientCredentialsGrant(rp, { scope: 'reports:read' });
    expect(await introspect(app, service, plain.access_token)).not.toHaveProperty('roles');
    await callAdminApi(app, `/clients/${service.id}`, adminBearer, { method: 'PATCH', json: { service_roles: ['reporter', 'auditor'] } });
  });

  it('refuses service roles without client_credentials, or that are not role names, naming the field', async () => {
    const withoutGrant = await callAdminApi(app, '/clients', adminBearer, {
      method: 'POST', json: { client_name: 'Web app', redirect_uris: ['https://app.example.test/cb'], service_roles: ['reporter'] },
    });
    expect(withoutGrant.status).toBe(400);
    expect(await withoutGrant.json()).toMatchObject({ fields: { service_roles: expect.stringContaining('client_credentials') } });
    const badName = await callAdminApi(app, '/clients', adminBearer, {
      method: 'POST', json: { client_name: 'Job', grant_types: ['client_credentials'], scope: 'reports:read', service_roles: ['Not A Role'] },
    });
    expect(badName.status).toBe(400);
    expect(Object.keys((await badName.json() as { fields: object }).fields)[0]).toMatch(/^service_roles/);
  });

  it('lets no dynamically registered client give itself roles', async () => {
    const settingsFile = settings.file('open-registration', { dynamicRegistration: { mode: 'open' } });
    const open = await startTestApp({ ...options, env: { SETTINGS_FILE: settingsFile } });
    try {
      const response = await fetch(`${open.issuer}/reg`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Self-made', grant_types: ['client_credentials'], scope: 'openid', service_roles: ['admin'] }),
      });
      expect(response.status).toBe(201);
      const registered = await response.json() as { client_id: string; client_secret: string };
      expect(registered).not.toHaveProperty('service_roles');
      const self = await oidc.discovery(new URL(open.issuer), registered.client_id, registered.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
      const tokens = await oidc.clientCredentialsGrant(self, {});
      expect(await introspect(open, { id: registered.client_id, secret: registered.client_secret }, tokens.access_token)).not.toHaveProperty('roles');
    } finally {
      await open.close();
    }
  });
});

describe('gatehouse clients --service-roles', () => {
  const fixture = cliFixture('pglite', 'gh-cli-service-roles-');
  const cli = (args: string[]) => runCli(args, fixture.env);

  it('makes a service account, replaces and removes its roles, and refuses them without client_credentials', { timeout: 120_000 }, async () => {
    const added = await cli(['clients', 'add', '--name', 'Nightly reports', '--grant', 'client_credentials', '--scope', 'roles', '--service-roles', 'reporter, auditor', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const client = JSON.parse(added.stdout) as { client_id: string; service_roles: string[] };
    expect(client.service_roles).toEqual(['reporter', 'auditor']);

    const replaced = await cli(['clients', 'update', '--client', client.client_id, '--service-roles', 'reporter', '--json']);
    expect(JSON.parse(replaced.stdout).service_roles).toEqual(['reporter']);
    const removed = await cli(['clients', 'update', '--client', client.client_id, '--no-service-roles', '--json']);
    expect(JSON.parse(removed.stdout)).not.toHaveProperty('service_roles');

    const refused = await cli(['clients', 'add', '--name', 'Web', '--redirect-uri', 'https://app.example.test/cb', '--service-roles', 'reporter']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^gatehouse: .*service_roles: apply only with the client_credentials grant\n$/);
  });
});
