// APIs named by resource indicator (RFC 8707) get JWT access tokens signed with their algorithm;
// an API Gatehouse does not know is refused with invalid_target.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const API = 'https://api.example.test';

describe('resource servers', () => {
  const settingsDir = mkdtempSync(path.join(os.tmpdir(), 'gh-settings-'));
  let app: TestApp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    const settingsFile = path.join(settingsDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({
      resourceServers: { [API]: { scope: 'invoices:read invoices:write', accessTokenFormat: 'jwt', jwtAlgorithm: 'ES256', accessTokenTtlSeconds: 300 } },
    }));
    app = await startTestApp({ env: { SETTINGS_FILE: settingsFile } });
    const client = await app.context.clients.register({ name: 'Invoicing job', grants: ['client_credentials'], scope: 'invoices:read' });
    config = await oidc.discovery(new URL(app.issuer), client.clientId, client.clientSecret!, undefined, { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(settingsDir, { recursive: true, force: true });
  });

  it('issues an ES256 JWT access token for the named API, verifiable with the published keys', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { resource: API, scope: 'invoices:read' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.issuer}/jwks`)), {
      issuer: app.issuer, audience: API, typ: 'at+jwt',
    });
    expect(payload.scope).toBe('invoices:read');
    expect(payload.client_id).toBe(config.clientMetadata().client_id);
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('does not grant a scope the client was not registered for', async () => {
    await expect(oidc.clientCredentialsGrant(config, { resource: API, scope: 'invoices:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('refuses an unknown resource with invalid_target', async () => {
    await expect(oidc.clientCredentialsGrant(config, { resource: 'https://elsewhere.example.test', scope: 'invoices:read' }))
      .rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('names the settings file and the path of a bad setting', async () => {
    const bad = path.join(settingsDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ resourceServers: { 'not a url': { scope: 'x' } } }));
    await expect(startTestApp({ env: { SETTINGS_FILE: bad } })).rejects.toThrow(/bad\.json: resourceServers/);
  });
});
