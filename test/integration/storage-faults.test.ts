// Postgres going away: protocol endpoints and pages answer 503 with Retry-After (never 500),
// /readyz reports it, and the same process recovers when the database returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { createProxiedServerDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('Postgres outage', () => {
  let server: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;
  let basic: string;
  let webClientId: string;
  let unreadClientId: string;

  beforeAll(async () => {
    let viaProxy: TestDatabase;
    ({ server, proxy, viaProxy } = await createProxiedServerDatabase({ poolSize: 4, statementTimeoutMs: 2000, connectionTimeoutMs: 2000 }));
    app = await startTestApp({ testDatabase: viaProxy });
    const machine = await app.context.clients.register({ name: 'Job', grants: ['client_credentials'] });
    basic = `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`;
    webClientId = (await app.context.clients.register({ name: 'Web', redirectUris: ['https://app.example.test/cb'] })).clientId;
    // Never asked for before the outage, so not in the node's client cache (settings.clientCacheSeconds).
    unreadClientId = (await app.context.clients.register({ name: 'Other web', redirectUris: ['https://app.example.test/cb'] })).clientId;
  });
  afterAll(async () => {
    await app?.close();
    await app?.testDatabase.close();
    await proxy?.close();
    await server?.close();
  });

  const tokenRequest = () => fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: 'grant_type=client_credentials',
  });
  const authorizationRequest = (clientId = webClientId) => fetch(authorizationUrl(clientId), { redirect: 'manual', headers: { accept: 'text/html' } });
  const authorizationUrl = (clientId = webClientId) => `${app.issuer}/auth?${new URLSearchParams({
    client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://app.example.test/cb',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's',
  })}`;

  it('answers 503 with Retry-After while the database is away, and recovers without a restart', async () => {
    expect((await tokenRequest()).status).toBe(200);
    expect((await fetch(`${app.issuer}/readyz`)).status).toBe(200);
    // A sign-in that has started: its interaction lives in the database.
    const browser = new Browser();
    const loginPage = await browser.get(authorizationUrl(), { followOrigins: [new URL(app.issuer).origin] });
    expect(loginPage.status).toBe(200);

    await proxy.stop();

    // First, while the web client read just above is still in this node's client cache (5 s): the
    // error goes back to its redirect_uri as RFC 6749 §4.1.2.1 temporarily_unavailable, which a
    // redirect can carry and a 503 cannot.
    const redirected = await authorizationRequest(webClientId);
    expect(redirected.status).toBe(303);
    const back = new URL(redirected.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('https://app.example.test/cb');
    expect(back.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(back.searchParams.get('state')).toBe('s');

    const ready = await fetch(`${app.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(await ready.json()).toMatchObject({ checks: { database: 'unavailable' } });

    const token = await tokenRequest();
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    const body = await token.json() as { error: string; error_description: string };
    expect(body.error).toBe('temporarily_unavailable');
    expect(body.error_description).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);

    // A client that cannot be read: no redirect_uri can be trusted, so the answer is our 503 page.
    const authorization = await authorizationRequest(unreadClientId);
    expect(authorization.status).toBe(503);
    expect(authorization.headers.get('retry-after')).toBe('5');
    expect(await authorization.text()).toMatch(/temporarily unavailable/i);

    const interaction = await browser.get(loginPage.url);
    expect(interaction.status).toBe(503);
    expect(interaction.headers.get('retry-after')).toBe('5');
    const login = await browser.submit(loginPage, { button: 'Sign in', fields: { email: 'someone@example.test', password: 'whatever it is' } });
    expect(login.status).toBe(503);
    expect(login.body).not.toContain('whatever it is');

    // Nothing that needs no storage is affected.
    expect((await fetch(`${app.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${app.issuer}/jwks`)).status).toBe(200);

    await proxy.start();

    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await tokenRequest()).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    expect((await fetch(`${app.issuer}/readyz`)).status).toBe(200);
    expect((await authorizationRequest()).status).toBe(303);
  });
});

describe.runIf(Boolean(process.env.TEST_REDIS_URL))('Redis outage', () => {
  let proxy: TcpProxy;
  let app: TestApp;
  let basic: string;

  beforeAll(async () => {
    const target = new URL(process.env.TEST_REDIS_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    app = await startTestApp({ redis: { url: `redis://127.0.0.1:${proxy.port}` } });
    const machine = await app.context.clients.register({ name: 'Job', grants: ['client_credentials'] });
    basic = `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`;
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
  });

  const tokenRequest = () => fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: 'grant_type=client_credentials',
  });

  it('answers 503 with Retry-After while Redis is away, and recovers without a restart', async () => {
    expect((await tokenRequest()).status).toBe(200);
    await proxy.stop();

    const ready = await fetch(`${app.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(await ready.json()).toMatchObject({ checks: { database: 'ok', redis: 'unavailable' } });

    // Opaque client-credentials tokens live in Redis: issuing one needs it.
    const token = await tokenRequest();
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    expect(((await token.json()) as { error: string }).error).toBe('temporarily_unavailable');

    // A protocol endpoint answers JSON whatever the client accepts (many send no Accept at all).
    for (const accept of [undefined, 'text/html', '*/*']) {
      const bare = await fetch(`${app.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', ...(accept ? { accept } : {}) },
        body: 'grant_type=client_credentials',
      });
      expect(bare.status).toBe(503);
      expect(bare.headers.get('content-type')).toMatch(/^application\/json/);
      expect(bare.headers.get('cache-control')).toBe('no-store');
      expect(((await bare.json()) as { error: string }).error).toBe('temporarily_unavailable');
    }

    await proxy.start();
    let status = 0;
    for (let attempt = 0; attempt < 60 && status !== 200; attempt += 1) {
      status = (await tokenRequest()).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    expect((await fetch(`${app.issuer}/readyz`)).status).toBe(200);
  });
});
