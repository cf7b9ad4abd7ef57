// Two nodes over one database, each with its client cache on (clientCacheSeconds 5): a secret
// rotated on one node works on the other at once, and an old secret stopped at once (overlap 0)
// is still accepted by the other node only until its cached copy of the client runs out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const settings = createSettingsFiles('gh-client-two-nodes-');
afterAll(() => settings.remove());

describe('client secret rotation across two nodes', () => {
  let reading: Awaited<ReturnType<typeof startTestApp>>;
  let rotating: TestApp;

  beforeAll(async () => {
    reading = await startTestApp();
    rotating = await startTestApp({
      testDatabase: reading.testDatabase, secrets: reading.secrets,
      env: { SETTINGS_FILE: settings.file('no-overlap', { clients: { secretRotationOverlapSeconds: 0 } }) },
    });
  });
  afterAll(async () => {
    await rotating?.close();
    await reading?.close();
  });

  const token = (clientId: string, secret: string) => fetch(`${reading.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  }).then((answer) => answer.status);

  it('accepts the new secret at once and the old one only while the other node still caches it', async () => {
    const cacheMs = reading.config.settings.clientCacheSeconds * 1000;
    expect(cacheMs).toBeGreaterThan(0);
    const { clientId, clientSecret: old } = await reading.context.clients.register({ name: 'Job', grants: ['client_credentials'], scope: 'openid' });
    expect(await token(clientId, old!)).toBe(200);
    const cachedAt = Date.now();

    const { clientSecret: fresh, previousSecretExpiresAt } = await rotating.context.clients.rotateSecret(clientId, { by: 'admin:test' });
    expect(previousSecretExpiresAt).toBeUndefined();
    expect(await token(clientId, fresh)).toBe(200);
    // The documented bound: the reading node's cached copy still carries the old secret.
    if (Date.now() - cachedAt < cacheMs - 500) expect(await token(clientId, old!)).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, cachedAt + cacheMs + 200 - Date.now()));
    expect(await token(clientId, old!)).toBe(401);
    expect(await token(clientId, fresh)).toBe(200);
  }, 20_000);
});
