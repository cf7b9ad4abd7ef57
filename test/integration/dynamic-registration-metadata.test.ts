// What dynamic registration (RFC 7591) accepts as client metadata: hostile or non-conforming
// metadata refused with a 400 and the RFC 7591 §3.2.2 code (never a 500, never a client written),
// bodies bounded before they are read, and metadata Gatehouse does not use ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKinds } from '../helpers/database.js';
import { call, discovery, registrationSettings, WEB_CLIENT } from '../helpers/dynamic-registration.js';
import { RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const modeSettings = registrationSettings('gh-dcr-metadata-');

describe.each(storageKinds)('dynamic registration metadata on %s', (kind) => {
  let app: TestApp;
  let endpoint: string;
  beforeAll(async () => {
    app = await startTestApp({ kind, env: { SETTINGS_FILE: modeSettings('token') } });
    endpoint = String((await discovery(app)).registration_endpoint);
  });
  afterAll(async () => { await app?.close(); });

  const mint = () => app.context.initialAccessTokens.mint({ expiresInSeconds: 3600 }).then((minted) => minted.token);

  const tooMany = Array.from({ length: 10_000 }, (_, index) => `https://rp.example.test/cb/${index}`);
  const hostile: Array<[string, unknown, 'invalid_redirect_uri' | 'invalid_client_metadata']> = [
    ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(document.cookie)'] }, 'invalid_redirect_uri'],
    ['a data: redirect URI', { redirect_uris: ['data:text/html,<script>alert(1)</script>'] }, 'invalid_redirect_uri'],
    ['a redirect URI with a fragment', { redirect_uris: ['https://rp.example.test/callback#token'] }, 'invalid_redirect_uri'],
    ['an http redirect URI off loopback for a web client', { redirect_uris: ['http://rp.example.test/callback'] }, 'invalid_redirect_uri'],
    ['a wildcard redirect URI', { redirect_uris: ['https://*.example.test/callback'] }, 'invalid_redirect_uri'],
    ['a javascript: post-logout URI', { redirect_uris: [RP_REDIRECT_URI], post_logout_redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    ['redirect_uris that is not a list', { redirect_uris: RP_REDIRECT_URI }, 'invalid_redirect_uri'],
    ['a __proto__ key', JSON.parse(`{"redirect_uris":["${RP_REDIRECT_URI}"],"__proto__":{"admin":true}}`), 'invalid_client_metadata'],
    ['a nested constructor key', { redirect_uris: [RP_REDIRECT_URI], jwks: { constructor: { prototype: {} } } }, 'invalid_client_metadata'],
    ['an array of 10,000 redirect URIs', { redirect_uris: tooMany }, 'invalid_client_metadata'],
    ['an array of 10,000 short items', { redirect_uris: [RP_REDIRECT_URI], contacts: Array.from({ length: 10_000 }, () => 0) }, 'invalid_client_metadata'],
    ['the implicit grant', { redirect_uris: [RP_REDIRECT_URI], grant_types: ['implicit'] }, 'invalid_client_metadata'],
    ['a token response type', { redirect_uris: [RP_REDIRECT_URI], response_types: ['code', 'token'] }, 'invalid_client_metadata'],
    ['a public client without PKCE', { redirect_uris: [RP_REDIRECT_URI], token_endpoint_auth_method: 'none', require_pkce: false }, 'invalid_client_metadata'],
    ['a scope not offered', { redirect_uris: [RP_REDIRECT_URI], scope: 'openid payroll' }, 'invalid_client_metadata'],
    ['the admin scope', { redirect_uris: [RP_REDIRECT_URI], scope: 'openid admin' }, 'invalid_client_metadata'],
    ['a javascript: logo URI', { redirect_uris: [RP_REDIRECT_URI], logo_uri: 'javascript:alert(1)' }, 'invalid_client_metadata'],
    ['a NUL in the name', { redirect_uris: [RP_REDIRECT_URI], client_name: 'evil\u0000' }, 'invalid_client_metadata'],
    ['an unsupported client authentication', { redirect_uris: [RP_REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    ['a JSON array instead of an object', [WEB_CLIENT], 'invalid_client_metadata'],
  ];

  it.each(hostile)('refuses %s with a 400 and the RFC 7591 code', async (_name, metadata, code) => {
    const token = await mint();
    const before = (await app.context.clients.list()).length;
    const refused = await call(endpoint, { json: metadata, token });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: code, error_description: expect.any(String) });
    expect((await app.context.clients.list()).length).toBe(before);
  });

  it('refuses a body past the size bound, deep nesting and malformed JSON with a 400, never a 500', async () => {
    const token = await mint();
    const deep = await call(endpoint, { raw: `{"redirect_uris":["${RP_REDIRECT_URI}"],"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, token });
    expect(deep.status).toBe(400);
    expect(deep.body.error).toBe('invalid_client_metadata');
    const huge = await call(endpoint, { raw: JSON.stringify({ ...WEB_CLIENT, client_name: 'x'.repeat(100_000) }), token });
    expect(huge.status).toBe(400);
    expect(huge.body.error).toBe('invalid_client_metadata');
    const broken = await call(endpoint, { raw: '{"redirect_uris": [', token });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe('invalid_request');
  });

  it('ignores metadata it does not use, among it URLs it would have to fetch', async () => {
    const created = await call(endpoint, {
      json: {
        ...WEB_CLIENT, jwks_uri: 'https://attacker.example/jwks', sector_identifier_uri: 'https://attacker.example/s', software_id: 'x',
        // Per-client token lifetimes are an administrator's to set.
        refresh_token_ttl: 315_360_000, access_token_ttl: 86_400,
      },
      token: await mint(),
    });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('jwks_uri');
    expect(created.body).not.toHaveProperty('sector_identifier_uri');
    expect(created.body).not.toHaveProperty('refresh_token_ttl');
    expect(created.body).not.toHaveProperty('access_token_ttl');
  });

  it('registers a public native client with PKCE and a private-use redirect URI', async () => {
    const created = await call(endpoint, {
      json: { client_name: 'Pocket app', token_endpoint_auth_method: 'none', redirect_uris: ['com.example.pocket:/callback', 'http://127.0.0.1/callback'] },
      token: await mint(),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none' });
    expect(created.body).not.toHaveProperty('client_secret');
  });
});
