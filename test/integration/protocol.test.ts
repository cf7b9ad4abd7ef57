// Protocol endpoints that need no browser: discovery, JWKS, client credentials, introspection,
// revocation, and the refusals RFC 9700 asks for.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKinds } from '../helpers/database.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe.each(storageKinds)('protocol endpoints on %s', (kind) => {
  let app: TestApp;
  let machine: { clientId: string; clientSecret: string };
  let webClientId: string;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    const registered = await app.context.clients.register({ name: 'Billing service', grants: ['client_credentials'] });
    machine = { clientId: registered.clientId, clientSecret: registered.clientSecret! };
    webClientId = (await app.context.clients.register({ name: 'Web', redirectUris: ['https://app.example.com/cb'] })).clientId;
  });
  afterAll(async () => { await app?.close(); });

  async function machineConfig(): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(app.issuer), machine.clientId, machine.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
  }

  it('publishes discovery that offers only the code flow, S256 PKCE and RFC 9207 iss', async () => {
    const response = await fetch(`${app.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(app.issuer);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata.claims_parameter_supported).toBe(true);
    for (const endpoint of ['introspection_endpoint', 'revocation_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'jwks_uri']) {
      expect(String(metadata[endpoint])).toMatch(new RegExp(`^${app.issuer}/`));
    }
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access', 'profile', 'email']));
  });

  it('serves RS256, ES256 and EdDSA public keys and nothing private', async () => {
    const { keys } = await (await fetch(`${app.issuer}/jwks`)).json() as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const key of keys) {
      expect(key.kid).toEqual(expect.any(String));
      for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privatePart);
    }
    const stored = await app.context.signingKeys.list();
    expect(stored.map((k) => k.kid).sort()).toEqual(keys.map((k) => k.kid).sort());
  });

  it('issues client credentials tokens that introspect as active until revoked', async () => {
    const config = await machineConfig();
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.token_type.toLowerCase()).toBe('bearer');

    const before = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(before.active).toBe(true);
    expect(before.client_id).toBe(machine.clientId);

    await oidc.tokenRevocation(config, tokens.access_token);
    const after = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(after.active).toBe(false);
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const response = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${machine.clientId}:not-the-secret`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('says Cache-Control: no-store on every answer of the token, introspection, revocation and PAR endpoints (RFC 6749 §5.1)', async () => {
    const metadata = (await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    const endpoints = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'pushed_authorization_request_endpoint'].map((key) => metadata[key]!);
    expect(endpoints.every(Boolean)).toBe(true);
    const good = `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`;
    const wrong = `Basic ${Buffer.from(`${machine.clientId}:not-the-secret`).toString('base64')}`;
    const form = 'application/x-www-form-urlencoded';
    const { access_token: accessToken } = await oidc.clientCredentialsGrant(await machineConfig());
    const requests: Array<[string, RequestInit]> = [];
    for (const endpoint of endpoints) {
      requests.push(
        [endpoint, { method: 'POST', headers: { authorization: good, 'content-type': form }, body: '' }],
        [endpoint, { method: 'POST', headers: { authorization: wrong, 'content-type': form }, body: `token=${accessToken}&grant_type=client_credentials` }],
        [endpoint, { method: 'POST', headers: { authorization: good, 'content-type': 'application/json' }, body: '{}' }],
        [endpoint, { method: 'POST', headers: { authorization: good, 'content-type': form }, body: 'grant_type=nonsense&token=a&token=b' }],
        [`${endpoint}?x=%00`, { method: 'POST', headers: { authorization: good, 'content-type': form }, body: '' }],
        [endpoint, { method: 'GET' }],
        [endpoint, { method: 'PUT' }],
      );
    }
    requests.push(
      [endpoints[0]!, { method: 'POST', headers: { authorization: good, 'content-type': form }, body: 'grant_type=client_credentials' }],
      [endpoints[1]!, { method: 'POST', headers: { authorization: good, 'content-type': form }, body: `token=${accessToken}` }],
      [endpoints[2]!, { method: 'POST', headers: { authorization: good, 'content-type': form }, body: `token=${accessToken}` }],
    );
    const statuses = new Set<number>();
    for (const [url, init] of requests) {
      const response = await fetch(url, init);
      statuses.add(response.status);
      expect(response.headers.get('cache-control'), `${init.method} ${url} -> ${response.status}`).toBe('no-store');
    }
    // Successes, OAuth errors and the framework's own refusals alike.
    expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 401]));
  });

  it('answers errors of client-facing endpoints in JSON even to a caller that prefers HTML', async () => {
    const metadata = (await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    for (const key of ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'pushed_authorization_request_endpoint', 'userinfo_endpoint']) {
      const response = await fetch(metadata[key]!, {
        method: 'POST',
        headers: { accept: 'text/html,application/xhtml+xml', 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer nonsense' },
        body: 'token=x',
      });
      expect(response.status, key).toBeGreaterThanOrEqual(400);
      expect(response.status, key).toBeLessThan(500);
      expect(response.headers.get('content-type'), key).toMatch(/^application\/json/);
      expect(((await response.json()) as { error: string }).error, key).toEqual(expect.any(String));
    }
  });

  it('refuses a grant the client was not registered for', async () => {
    const response = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=refresh_token&refresh_token=not-a-real-token',
    });
    expect(response.status).toBe(400);
    // oidc-provider answers invalid_request here where RFC 6749 §5.2 names unauthorized_client.
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  function authorizeUrl(params: Record<string, string>): string {
    const url = new URL('/auth', app.issuer);
    const defaults = {
      client_id: webClientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://app.example.com/cb', state: 'st',
    };
    for (const [key, value] of Object.entries({ ...defaults, ...params })) url.searchParams.set(key, value);
    return url.toString();
  }

  async function authorizationError(params: Record<string, string>): Promise<URLSearchParams> {
    const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.com/cb');
    // Response types that carry tokens answer in the fragment (OAuth 2.0 Multiple Response Types §5).
    return location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
  }

  it('requires PKCE: no code_challenge is refused (RFC 9700 §2.1.1)', async () => {
    const answer = await authorizationError({});
    expect(answer.get('error')).toBe('invalid_request');
    expect(answer.get('error_description')).toMatch(/PKCE/);
    expect(answer.get('iss')).toBe(app.issuer);
    expect(answer.get('state')).toBe('st');
  });

  it('refuses the plain PKCE method', async () => {
    const answer = await authorizationError({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    expect(answer.get('error')).toBe('invalid_request');
  });

  it.each(['token', 'id_token', 'code id_token', 'code token'])('refuses response_type=%s (no implicit or hybrid flow)', async (responseType) => {
    const answer = await authorizationError({
      response_type: responseType, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', nonce: 'n',
    });
    expect(answer.get('error')).toBe('unsupported_response_type');
  });
});
