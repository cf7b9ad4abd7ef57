// Dynamic client registration (RFC 7591) and its management (RFC 7592) against the running app:
// each mode, the initial access token's lifetime and use limit, a registered client's code flow
// through openid-client, read/update/delete with the registration access token, and the CLI that
// mints the token. Hostile metadata: dynamic-registration-metadata.test.ts.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, loadSettings } from '../../src/config.js';
import { Browser } from '../helpers/browser.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { cliFixture } from '../helpers/cli-fixture.js';
import { runCli } from '../helpers/gatehouse-process.js';
import { storageKinds } from '../helpers/database.js';
import { call, discovery, registrationSettings, WEB_CLIENT } from '../helpers/dynamic-registration.js';
import { exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'katherine@example.test';
const PASSWORD = 'a long and memorable passphrase';
const modeSettings = registrationSettings('gh-dcr-');
describe('dynamic registration settings', () => {
  it('is off by default', () => {
    expect(loadSettings().dynamicRegistration.mode).toBe('off');
  });

  it('refuses open mode in production, naming the setting', () => {
    const env = {
      NODE_ENV: 'production', ISSUER: 'https://id.example.test', MAIL_TRANSPORT: 'outbox',
      ENCRYPTION_KEY: 'k'.repeat(43), COOKIE_SECRETS: 'c'.repeat(43),
    };
    const base = loadSettings();
    expect(() => loadConfig({ env, settings: { ...base, dynamicRegistration: { mode: 'open' } } })).toThrow(/dynamicRegistration\.mode: must not be open in production/);
    expect(loadConfig({ env, settings: { ...base, dynamicRegistration: { mode: 'token' } } }).settings.dynamicRegistration.mode).toBe('token');
  });
});

describe.each(storageKinds)('dynamic registration off on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp({ kind, env: { SETTINGS_FILE: modeSettings('off') } }); });
  afterAll(async () => { await app?.close(); });

  it('advertises no registration endpoint and has none', async () => {
    expect(await discovery(app)).not.toHaveProperty('registration_endpoint');
    const answer = await fetch(`${app.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(WEB_CLIENT) });
    expect(answer.status).toBe(404);
    expect(await app.context.clients.list()).toEqual([]);
  });
});

describe.each(storageKinds)('dynamic registration with initial access tokens on %s', (kind) => {
  let app: TestApp;
  let endpoint: string;
  beforeAll(async () => {
    // With Redis beside Postgres the registration tokens must still be in Postgres (adapters/index.ts).
    app = await startTestApp({ kind, redis: kind === 'postgres' && Boolean(process.env.TEST_REDIS_URL), env: { SETTINGS_FILE: modeSettings('token') } });
    endpoint = String((await discovery(app)).registration_endpoint);
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true, name: 'Katherine Johnson' });
  });
  afterAll(async () => { await app?.close(); });

  const mint = (options: { expiresInSeconds?: number; maxUses?: number } = {}) =>
    app.context.initialAccessTokens.mint({ expiresInSeconds: options.expiresInSeconds ?? 3600, maxUses: options.maxUses }).then((minted) => minted.token);

  it('advertises the registration endpoint', () => {
    expect(endpoint).toBe(`${app.issuer}/reg`);
  });

  it('refuses a registration without a token, with a wrong one and with an expired one', async () => {
    const before = (await app.context.clients.list()).length;
    const missing = await call(endpoint, { json: WEB_CLIENT });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toBe('invalid_token');
    const wrong = await call(endpoint, { json: WEB_CLIENT, token: 'x'.repeat(43) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_token');
    const expired = await mint({ expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const late = await call(endpoint, { json: WEB_CLIENT, token: expired });
    expect(late.status).toBe(401);
    expect(late.body.error).toBe('invalid_token');
    expect((await app.context.clients.list()).length).toBe(before);
  });

  it('registers with a token, which the database holds only as a hash', async () => {
    const token = await mint();
    const created = await call(endpoint, { json: WEB_CLIENT, token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      client_name: 'Orbit planner', redirect_uris: [RP_REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      client_id: expect.stringMatching(/^[0-9a-f]{32}$/), client_secret: expect.any(String),
      registration_access_token: expect.any(String), registration_client_uri: `${endpoint}/${String(created.body.client_id)}`,
    });
    const rows = await app.testDatabase.database.query<{ id: string; payload: unknown }>(
      "SELECT id, payload FROM oidc_payloads WHERE model IN ('InitialAccessToken', 'RegistrationAccessToken')",
    );
    const stored = JSON.stringify(rows.rows);
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(String(created.body.registration_access_token));
  });

  it('counts the uses of a limited token: the N+1th registration is refused', async () => {
    const token = await mint({ maxUses: 2 });
    expect((await call(endpoint, { json: WEB_CLIENT, token })).status).toBe(201);
    expect((await call(endpoint, { json: WEB_CLIENT, token })).status).toBe(201);
    const before = (await app.context.clients.list()).length;
    const third = await call(endpoint, { json: WEB_CLIENT, token });
    expect(third.status).toBe(401);
    expect(third.body.error).toBe('invalid_token');
    expect((await app.context.clients.list()).length).toBe(before);
  });

  it('spends a limited token exactly N times under concurrent registrations', async () => {
    const token = await mint({ maxUses: 3 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => call(endpoint, { json: WEB_CLIENT, token })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 401, 401, 401, 401, 401]);
  });

  it('gives a registered client a working code flow through openid-client', async () => {
    const initialAccessToken = await mint({ maxUses: 1 });
    const rp = await oidc.dynamicClientRegistration(new URL(app.issuer), {
      client_name: 'Mission control', redirect_uris: [RP_REDIRECT_URI], scope: 'openid email offline_access',
    }, undefined, { initialAccessToken, execute: [oidc.allowInsecureRequests] });
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email: EMAIL, password: PASSWORD, scope: 'openid email offline_access' }));
    expect(tokens.claims()!.aud).toBe(rp.clientMetadata().client_id);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const audit = await app.testDatabase.database.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE type = 'client.registered' AND client_id = $1", [rp.clientMetadata().client_id],
    );
    expect(audit.rows).toEqual([{ detail: { by: 'dynamic-registration', authMethod: 'client_secret_basic', withInitialAccess: true } }]);
  });

  it('reads, updates and deletes a client with its registration access token (RFC 7592), and the deletion revokes its grants', async () => {
    const created = await call(endpoint, { json: { ...WEB_CLIENT, scope: 'openid offline_access' }, token: await mint() });
    const clientUri = String(created.body.registration_client_uri);
    const clientId = String(created.body.client_id);
    const clientSecret = String(created.body.client_secret);
    const firstToken = String(created.body.registration_access_token);

    const read = await call(clientUri, { method: 'GET', token: firstToken });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ client_id: clientId, client_name: 'Orbit planner', redirect_uris: [RP_REDIRECT_URI] });
    for (const token of ['x'.repeat(43), String(created.body.client_secret)]) {
      const refused = await call(clientUri, { method: 'GET', token });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_token');
    }

    // Full replacement (RFC 7592 §2.2): what the update leaves out is gone.
    const replacement = { client_id: clientId, client_secret: clientSecret, client_name: 'Orbit planner 2', redirect_uris: ['https://rp.example.test/v2/callback', RP_REDIRECT_URI], scope: 'openid offline_access' };
    const wrongUpdate = await call(clientUri, { method: 'PUT', token: 'x'.repeat(43), json: replacement });
    expect(wrongUpdate.status).toBe(401);
    // Without the client's token nothing of the body is looked at.
    const wrongAndHostile = await call(clientUri, { method: 'PUT', token: 'x'.repeat(43), json: { ...replacement, redirect_uris: ['javascript:alert(1)'] } });
    expect(wrongAndHostile.status).toBe(401);
    expect(wrongAndHostile.body.error).toBe('invalid_token');
    const hostileUpdate = await call(clientUri, { method: 'PUT', token: firstToken, json: { ...replacement, redirect_uris: ['javascript:alert(1)'] } });
    expect(hostileUpdate.status).toBe(400);
    expect(hostileUpdate.body.error).toBe('invalid_redirect_uri');
    const updated = await call(clientUri, { method: 'PUT', token: firstToken, json: replacement });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ client_name: 'Orbit planner 2', redirect_uris: replacement.redirect_uris, client_secret: clientSecret });
    const secondToken = String(updated.body.registration_access_token);
    expect(secondToken).not.toBe(firstToken);
    expect((await call(clientUri, { method: 'GET', token: firstToken })).status).toBe(401);
    expect((await call(clientUri, { method: 'GET', token: secondToken })).body.client_name).toBe('Orbit planner 2');

    const rp = await oidc.discovery(new URL(app.issuer), clientId, clientSecret, oidc.ClientSecretBasic(clientSecret), { execute: [oidc.allowInsecureRequests] });
    const tokens = await exchangeCode(rp, await signIn(new Browser(), rp, { email: EMAIL, password: PASSWORD, scope: 'openid offline_access' }));

    expect((await call(clientUri, { method: 'DELETE', token: 'x'.repeat(43) })).status).toBe(401);
    const deleted = await fetch(clientUri, { method: 'DELETE', headers: { authorization: `Bearer ${secondToken}` } });
    expect(deleted.status).toBe(204);
    expect((await app.context.clients.list()).map((client) => client.clientId)).not.toContain(clientId);
    expect((await call(clientUri, { method: 'GET', token: secondToken })).status).toBe(401);
    const grants = await app.testDatabase.database.query("SELECT id FROM oidc_payloads WHERE model IN ('Grant', 'RefreshToken') AND payload->>'clientId' = $1", [clientId]);
    expect(grants.rows).toEqual([]);
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toThrow();

    const audit = await app.testDatabase.database.query<{ type: string; detail: unknown }>(
      'SELECT type, detail FROM audit_events WHERE client_id = $1 ORDER BY id', [clientId],
    );
    expect(audit.rows.map((row) => row.type).filter((type) => type.startsWith('client.'))).toEqual(['client.registered', 'client.updated', 'client.deleted']);
    const everything = JSON.stringify(audit.rows);
    for (const secret of [clientSecret, firstToken, secondToken]) expect(everything).not.toContain(secret);
  });

});

describe.each(storageKinds)('open dynamic registration on %s', (kind) => {
  let app: TestApp;
  const captured = captureLogger('warn');
  beforeAll(async () => { app = await startTestApp({ kind, env: { SETTINGS_FILE: modeSettings('open') }, logger: captured.logger }); });
  afterAll(async () => { await app?.close(); });

  it('warns at start that anyone may register', () => {
    expect(captured.entries().map((entry) => entry.msg)).toContainEqual(expect.stringMatching(/dynamicRegistration\.mode is open: anyone who can reach \/reg can register a client/));
  });

  it('registers a client without any token, and still refuses hostile metadata', async () => {
    const endpoint = String((await discovery(app)).registration_endpoint);
    const created = await call(endpoint, { json: WEB_CLIENT });
    expect(created.status).toBe(201);
    expect(created.body.registration_access_token).toEqual(expect.any(String));
    const audit = await app.testDatabase.database.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE type = 'client.registered' AND client_id = $1", [String(created.body.client_id)],
    );
    expect(audit.rows[0]?.detail.withInitialAccess).toBe(false);
    const refused = await call(endpoint, { json: { redirect_uris: ['javascript:alert(1)'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_redirect_uri');
  });
});

describe('dynamic registration rate limit', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp({ env: { SETTINGS_FILE: modeSettings('open', { points: 2, windowSeconds: 3600 }) } }); });
  afterAll(async () => { await app?.close(); });

  it('counts every registration attempt from one IP and answers 429 in JSON with Retry-After past the limit', async () => {
    const endpoint = String((await discovery(app)).registration_endpoint);
    expect((await call(endpoint, { json: WEB_CLIENT })).status).toBe(201);
    expect((await call(endpoint, { json: { redirect_uris: ['javascript:alert(1)'] } })).status).toBe(400);
    const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: JSON.stringify(WEB_CLIENT) });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ error: 'too_many_requests' });
    const registered = (await app.testDatabase.database.query('SELECT client_id FROM oidc_clients')).rows;
    expect(registered).toHaveLength(1);
  });
});

describe.each(storageKinds)('gatehouse clients registration-token on %s', (kind) => {
  const fixture = cliFixture(kind, 'gh-dcr-cli-');
  // Each run is a fresh process; on PGlite opening the database takes a few seconds.
  const PROCESS_RUNS_MS = 120_000;

  it('refuses a bad lifetime or use count before touching anything', { timeout: PROCESS_RUNS_MS }, async () => {
    for (const args of [['--expires', '31d'], ['--expires', '1y'], ['--expires', '0h'], ['--uses', '0'], ['--uses', '2.5'], ['--uses', '10001']]) {
      const refused = await runCli(['clients', 'registration-token', ...args], fixture.env);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^gatehouse: clients registration-token: --(expires|uses) must/);
    }
  });

  it('prints one token alone on stdout, which registers exactly as many clients as --uses allows', { timeout: PROCESS_RUNS_MS }, async () => {
    const minted = await runCli(['clients', 'registration-token', '--expires', '1h', '--uses', '1'], fixture.env);
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(minted.stderr).toMatch(/valid until \S+ for 1 registration; shown only now/);
    const token = minted.stdout.trim();

    await fixture.withDatabase(async (database) => {
      const audit = await database.query<{ detail: unknown }>("SELECT detail FROM audit_events WHERE type = 'client.initial_access_issued'");
      expect(audit.rows).toEqual([{ detail: { by: 'admin-cli', expiresInSeconds: 3600, maxUses: 1 } }]);
      const app = await startTestApp({
        testDatabase: { kind, database, close: async () => undefined },
        secrets: { encryptionKey: fixture.env.ENCRYPTION_KEY!, cookieSecrets: fixture.env.COOKIE_SECRETS! },
        env: { SETTINGS_FILE: modeSettings('token') },
      });
      try {
        const endpoint = String((await discovery(app)).registration_endpoint);
        expect((await call(endpoint, { json: WEB_CLIENT, token })).status).toBe(201);
        const again = await call(endpoint, { json: WEB_CLIENT, token });
        expect(again.status).toBe(401);
        expect(again.body.error).toBe('invalid_token');
      } finally {
        await app.close();
      }
    });
  });
});
