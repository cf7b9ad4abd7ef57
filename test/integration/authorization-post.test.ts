// OpenID Connect Core §3.1.2.1: the authorization endpoint takes POST (form serialization) as well
// as GET, with the same checks: a relying party can sign someone in either way, and a bad request
// gets the same answer whichever method carried it.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'poster@example.test';
const PASSWORD = 'forms travel in the body';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('POST to the authorization endpoint', () => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let authorizationEndpoint: string;
  let userId: string;

  beforeAll(async () => {
    app = await startTestApp();
    userId = (await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true })).id;
    const client = await app.context.clients.register({ name: 'Poster', redirectUris: [RP_REDIRECT_URI] });
    rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
    authorizationEndpoint = rp.serverMetadata().authorization_endpoint!;
  });
  afterAll(async () => { await app?.close(); });

  const post = (body: string | URLSearchParams, headers: Record<string, string> = {}) => fetch(authorizationEndpoint, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers }, body,
  });
  const get = (params: URLSearchParams) => fetch(`${authorizationEndpoint}?${params}`, { redirect: 'manual', headers: { accept: 'text/html' } });

  function requestParams(overrides: Record<string, string | undefined> = {}): URLSearchParams {
    const params = new URLSearchParams({
      client_id: rp.clientMetadata().client_id, response_type: 'code', scope: 'openid', redirect_uri: RP_REDIRECT_URI,
      code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'st',
    });
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) params.delete(name);
      else params.set(name, value);
    }
    return params;
  }

  it('signs in with a request sent as a form, and the code exchange completes', async () => {
    const request = await buildAuthorizationRequest(rp, { scope: 'openid email' });
    const browser = new Browser();
    const follow = { followOrigins: [app.issuer] };
    let page: Page = await browser.request(authorizationEndpoint, { method: 'POST', form: request.url.searchParams, ...follow });
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    page = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow });
    if (page.status === 200) page = await browser.submit(page, { button: 'Allow', ...follow });
    expect(page.location?.startsWith(RP_REDIRECT_URI)).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.location!), {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
    expect(tokens.claims()!.sub).toBe(userId);
  });

  it.each([
    ['without PKCE', { code_challenge: undefined }],
    ['with the plain PKCE method', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
    ['for an implicit response type', { response_type: 'token' }],
    ['with an unregistered redirect_uri', { redirect_uri: 'https://elsewhere.example.test/cb' }],
    ['for an unknown client', { client_id: 'no-such-client' }],
    ['with an unknown scope only', { scope: 'profile' }],
  ])('answers a request %s exactly as GET does', async (_name, overrides) => {
    const params = requestParams(overrides);
    const [byPost, byGet] = [await post(params), await get(params)];
    expect(byPost.status).toBe(byGet.status);
    expect(byPost.status).not.toBe(404);
    expect(byPost.status).toBeLessThan(500);
    const [postLocation, getLocation] = [byPost.headers.get('location'), byGet.headers.get('location')];
    if (getLocation) {
      const [fromPost, fromGet] = [new URL(postLocation!), new URL(getLocation)];
      expect(`${fromPost.origin}${fromPost.pathname}`).toBe(`${fromGet.origin}${fromGet.pathname}`);
      expect(fromPost.searchParams.get('error')).toBe(fromGet.searchParams.get('error'));
    } else {
      expect(postLocation).toBeNull();
    }
  });

  it('refuses a parameter given twice, as GET does', async () => {
    const body = `${requestParams()}&state=again`;
    const [byPost, byGet] = [await post(body), await fetch(`${authorizationEndpoint}?${body}`, { redirect: 'manual', headers: { accept: 'text/html' } })];
    expect(byPost.status).toBe(byGet.status);
    expect(new URL(byPost.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    expect(new URL(byGet.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a body that is not a form, parameters in the query, a NUL and an oversized form with a 4xx', async () => {
    const json = await post(JSON.stringify(Object.fromEntries(requestParams())), { 'content-type': 'application/json' });
    expect(json.status).toBe(415);
    const mixed = await fetch(`${authorizationEndpoint}?client_id=x`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: requestParams(),
    });
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { error: string }).error).toBe('invalid_request');
    expect((await post(`${requestParams()}&nonce=%00`)).status).toBe(400);
    expect((await post(`${requestParams()}&nonce=${'n'.repeat(60 * 1024)}`)).status).toBe(413);
  });
});
