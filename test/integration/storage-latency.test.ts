// Slow and silent stores: with latency injected in front of Redis or Postgres, or Postgres
// swallowing traffic, every request still ends within the 5 s budget, as a success or as 503
// temporarily_unavailable with Retry-After, JSON on protocol endpoints whatever Accept says.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { signInOffline } from '../helpers/accounts.js';
import { createProxiedServerDatabase, type TestDatabase } from '../helpers/database.js';
import { discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const BUDGET_MS = 5000;
const EMAIL = 'patient@example.test';
const PASSWORD = 'slow stores, quick answers';

interface Timed { response: Response; elapsedMs: number }

async function timed(request: () => Promise<Response>): Promise<Timed> {
  const started = performance.now();
  const response = await request();
  await response.clone().arrayBuffer();
  return { response, elapsedMs: performance.now() - started };
}

/** An answer within the budget that is either a success or a JSON 503 the client can retry. */
async function expectSuccessOrRetryableJson({ response, elapsedMs }: Timed): Promise<void> {
  expect(elapsedMs).toBeLessThan(BUDGET_MS);
  if (response.status === 200) return;
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(((await response.json()) as { error: string }).error).toBe('temporarily_unavailable');
}

function refreshRequest(app: TestApp, basic: string, refreshToken: string): Promise<Response> {
  // No Accept header, as many OAuth client libraries send none.
  return fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

/** Waits, a bounded while, for chunks still held by the proxy to drain and /readyz to pass again. */
async function waitUntilReady(app: TestApp): Promise<void> {
  let status = 0;
  for (let attempt = 0; attempt < 100 && status !== 200; attempt += 1) {
    status = (await fetch(`${app.issuer}/readyz`)).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe(200);
}

async function registerWebClient(app: TestApp): Promise<{ rp: oidc.Configuration; basic: string }> {
  const client = await app.context.clients.register({ name: 'Patient', redirectUris: [RP_REDIRECT_URI] });
  const rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  return { rp, basic: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret!}`).toString('base64')}` };
}

describe.runIf(Boolean(process.env.TEST_REDIS_URL))('Redis answering slowly', () => {
  let proxy: TcpProxy;
  let app: TestApp;

  beforeAll(async () => {
    const target = new URL(process.env.TEST_REDIS_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    app = await startTestApp({ redis: { url: `redis://127.0.0.1:${proxy.port}` } });
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true });
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
  });

  it('answers refreshes with JSON 503 and Retry-After within the budget, then serves them again', { timeout: 60_000 }, async () => {
    const { rp, basic } = await registerWebClient(app);
    // One grant per request: refreshes of one token race each other to invalid_grant anyway.
    const grants = [];
    for (let index = 0; index < 3; index += 1) grants.push(await signInOffline(new Browser(), rp, EMAIL, PASSWORD));

    proxy.setLatency(2000);
    const answers = await Promise.all(grants.map((tokens) => timed(() => refreshRequest(app, basic, tokens.refresh_token!))));
    for (const answer of answers) await expectSuccessOrRetryableJson(answer);
    expect(answers.some(({ response }) => response.status === 503)).toBe(true);

    proxy.setLatency(0);
    await waitUntilReady(app);
    const fresh = await signInOffline(new Browser(), rp, EMAIL, PASSWORD);
    expect((await refreshRequest(app, basic, fresh.refresh_token!)).status).toBe(200);
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('Postgres answering slowly or not at all', () => {
  let server: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;

  beforeAll(async () => {
    // Query timeouts longer than the budget: the budget holds whatever the pool is told.
    let viaProxy: TestDatabase;
    ({ server, proxy, viaProxy } = await createProxiedServerDatabase({ poolSize: 10, statementTimeoutMs: 10_000, connectionTimeoutMs: 5000 }));
    app = await startTestApp({ testDatabase: viaProxy });
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true });
  });
  afterAll(async () => {
    await app?.close();
    await app?.testDatabase.close();
    await proxy?.close();
    await server?.close();
  });

  async function restoreConnections(): Promise<void> {
    await proxy.stop();
    await proxy.start();
    await waitUntilReady(app);
  }

  it('answers refreshes within the budget while every chunk takes 2 s', { timeout: 90_000 }, async () => {
    const { rp, basic } = await registerWebClient(app);
    const tokens = await signInOffline(new Browser(), rp, EMAIL, PASSWORD);

    proxy.setLatency(2000);
    const answers = await Promise.all(Array.from({ length: 2 }, () => timed(() => refreshRequest(app, basic, tokens.refresh_token!))));
    for (const answer of answers) await expectSuccessOrRetryableJson(answer);
    const ready = await timed(() => fetch(`${app.issuer}/readyz`));
    expect(ready.elapsedMs).toBeLessThan(BUDGET_MS);

    proxy.setLatency(0);
    await restoreConnections();
  });

  it('starts no storage call for a request already answered 503, so the client can retry with its refresh token', { timeout: 90_000 }, async () => {
    const { rp, basic } = await registerWebClient(app);
    const tokens = await signInOffline(new Browser(), rp, EMAIL, PASSWORD);

    // 3 s each way: reading the refresh token alone takes about 6 s, past the budget.
    proxy.setLatency(3000);
    const refused = await refreshRequest(app, basic, tokens.refresh_token!);
    expect(refused.status).toBe(503);
    // Long enough for the work still running (a few calls of about 6 s each) to have consumed the
    // token, had it been let.
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    proxy.setLatency(0);
    await waitUntilReady(app);

    const retried = await refreshRequest(app, basic, tokens.refresh_token!);
    expect(retried.status).toBe(200);
  });

  it('answers 503 within the budget, /readyz included, while Postgres swallows every packet', { timeout: 90_000 }, async () => {
    const { rp, basic } = await registerWebClient(app);
    const tokens = await signInOffline(new Browser(), rp, EMAIL, PASSWORD);

    proxy.blackhole();
    const ready = await timed(() => fetch(`${app.issuer}/readyz`));
    expect(ready.elapsedMs).toBeLessThan(BUDGET_MS);
    expect(ready.response.status).toBe(503);
    expect(ready.response.headers.get('retry-after')).toBe('5');

    const refresh = await timed(() => refreshRequest(app, basic, tokens.refresh_token!));
    expect(refresh.response.status).toBe(503);
    await expectSuccessOrRetryableJson(refresh);

    // A page: the same 503 as an HTML page, also within the budget.
    const page = await timed(() => fetch(`${app.issuer}/account`, { headers: { accept: 'text/html' }, redirect: 'manual' }));
    expect(page.elapsedMs).toBeLessThan(BUDGET_MS);

    await restoreConnections();
    const fresh = await signInOffline(new Browser(), rp, EMAIL, PASSWORD);
    expect((await refreshRequest(app, basic, fresh.refresh_token!)).status).toBe(200);
  });
});
