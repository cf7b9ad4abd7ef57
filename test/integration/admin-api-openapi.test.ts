// The admin API's OpenAPI document: served without a token, a valid 3.1 document, and exactly the
// routes that answer (no route undocumented, no documented route missing). Walking it with a
// non-admin's token gets 403 on every operation, each refusal audited; without a token, 401.
import type Router from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin, ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

type Document = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** A concrete path for a templated one: every parameter gets a value of the right shape. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
}

describe('admin API OpenAPI document', () => {
  let app: TestApp;
  let document: Document;
  let routeList: { method: string; path: string }[];

  beforeAll(async () => {
    app = await startTestApp();
    const response = await fetch(`${app.issuer}/admin/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    document = await response.json() as Document;
    // The admin API's @koa/router, as mounted on the provider (tagged with .router, as routes() is).
    const mounted = (app.app.provider.middleware as Array<{ router?: Router }>)
      .map((middleware) => middleware.router).filter((router) => router?.stack.some((layer) => String(layer.path).startsWith('/admin/api/')));
    expect(mounted).toHaveLength(1);
    routeList = mounted[0]!.stack.flatMap((layer) => layer.methods.filter((method) => method !== 'HEAD')
      .map((method) => ({ method, path: String(layer.path).replace(/^\/admin\/api/, '').replace(/:([A-Za-z0-9_]+)/g, '{$1}') })));
  });
  afterAll(async () => { await app?.close(); });

  it('is an OpenAPI 3.1 document naming the admin scope', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(JSON.stringify(document)).toContain('"admin"');
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
  });

  it('describes exactly the routes that answer', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)).sort();
    const routed = routeList.map((route) => `${route.method} ${route.path}`).sort();
    expect(routed.length).toBeGreaterThan(0);
    expect(documented).toEqual(routed);
  });

  it('gives a non-admin 403 on every documented operation, audited; no token gives 401', async () => {
    const rp = await adminConsoleClient(app);
    const person = await app.context.users.create({ email: 'walker@example.test', password: ADMIN_TEST_PASSWORD, emailVerified: true });
    await createAdmin(app, 'walk-admin@example.test');
    const { token } = await adminToken(app, rp, person.email);
    let operations = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) {
        operations += 1;
        const init = { method: method.toUpperCase(), ...(method === 'get' || method === 'delete' ? {} : { json: {} }) };
        const refused = await callAdminApi(app, concrete(path), token, init);
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(await refused.json()).toMatchObject({ error: 'insufficient_scope' });
        const anonymous = await callAdminApi(app, concrete(path), undefined, init);
        expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
      }
    }
    await app.context.audit.flush();
    const rows = await app.context.database.query<{ n: string }>(
      "SELECT count(*) AS n FROM audit_events WHERE type = 'admin.api_refused' AND account_id = $1", [person.id],
    );
    expect(Number(rows.rows[0]!.n)).toBe(operations);
  });
});
