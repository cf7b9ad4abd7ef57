// A %00 in a path segment reaches a route as a NUL in its parameter (a client id, a user id, an
// RFC 7592 client path), which Postgres refuses: it must be a 400 before any route reads it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe('a NUL byte in the path', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    await createAdmin(app, 'nul-admin@example.test');
    ({ token } = await adminToken(app, await adminConsoleClient(app), 'nul-admin@example.test'));
  });
  afterAll(async () => { await app?.close(); });

  it('answers 400 invalid_request on admin API routes, and the error page on pages', async () => {
    for (const path of ['/clients/%00', '/clients/a%00b/rotate-secret', '/users/%00', '/logout-deliveries/%00/retry']) {
      const method = path.endsWith('retry') || path.endsWith('secret') ? 'POST' : 'GET';
      const response = await callAdminApi(app, path, token, { method });
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
    const page = await fetch(`${app.issuer}/admin/clients/%00`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});
