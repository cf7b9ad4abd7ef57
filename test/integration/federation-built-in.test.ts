// Google and Microsoft Entra ID sign-in with their endpoints intercepted at the fetch
// layer (undici MockAgent as the global dispatcher): arctic really sends the token request with
// the PKCE verifier, and jose really fetches the JWKS and checks the ID token, whose keys are a
// test key pair served through the mock.
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type * as oidc from 'openid-client';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relyingParty } from '../helpers/accounts.js';
import { Browser, textOf } from '../helpers/browser.js';
import { buildAuthorizationRequest, exchangeCode, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const TENANT = '8a7b6c5d-1111-4222-8333-944455556666';
const GOOGLE = { clientId: 'google-client.apps.example', secret: 'google-test-secret' };
const MICROSOFT = { clientId: '0f0e0d0c-aaaa-4bbb-8ccc-0123456789ab', secret: 'microsoft-test-secret' };

let previousDispatcher: Dispatcher;
let agent: MockAgent;
let app: TestApp;
let rp: oidc.Configuration;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  previousDispatcher = getGlobalDispatcher();
  agent = new MockAgent();
  // Everything local (the app, the test browser) goes over the network as usual.
  agent.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  setGlobalDispatcher(agent);
  agent.get('https://www.googleapis.com').intercept({ path: '/oauth2/v3/certs', method: 'GET' })
    .reply(200, { keys: [publicJwk] }, { headers: { 'content-type': 'application/json' } }).persist();
  agent.get('https://login.microsoftonline.com').intercept({ path: `/${TENANT}/discovery/v2.0/keys`, method: 'GET' })
    .reply(200, { keys: [publicJwk] }, { headers: { 'content-type': 'application/json' } }).persist();
  app = await startTestApp({
    env: {
      GOOGLE_CLIENT_ID: GOOGLE.clientId, GOOGLE_CLIENT_SECRET: GOOGLE.secret,
      MICROSOFT_CLIENT_ID: MICROSOFT.clientId, MICROSOFT_CLIENT_SECRET: MICROSOFT.secret, MICROSOFT_TENANT: TENANT,
    },
  });
  rp = await relyingParty(app);
}, 30_000);

afterAll(async () => {
  await app?.close();
  setGlobalDispatcher(previousDispatcher);
  await agent?.close();
});

interface Provider {
  button: string;
  id: string;
  origin: string;
  tokenPath: string;
  clientId: string;
  secret: string;
  claims: (nonce: string) => Record<string, unknown>;
}

const google: Provider = {
  button: 'Continue with Google', id: 'google', origin: 'https://oauth2.googleapis.com', tokenPath: '/token', ...GOOGLE,
  claims: (nonce) => ({ iss: 'https://accounts.google.com', aud: GOOGLE.clientId, sub: '10987654321', email: 'grace@gmail.example', email_verified: true, name: 'Grace Hopper', nonce }),
};

const OID = '44445555-aaaa-4bbb-8ccc-0000ddddeeee';
const microsoft: Provider = {
  button: 'Continue with Microsoft', id: 'microsoft', origin: 'https://login.microsoftonline.com', tokenPath: `/${TENANT}/oauth2/v2.0/token`, ...MICROSOFT,
  claims: (nonce) => ({
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, aud: MICROSOFT.clientId, sub: 'per-app-subject', tid: TENANT, oid: OID,
    email: 'katherine@contoso.example', xms_edov: true, name: 'Katherine Johnson', nonce,
  }),
};

function idToken(claims: Record<string, unknown>, key: CryptoKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuedAt().setExpirationTime('5m').sign(key);
}

/**
 * From the relying party to the provider's authorization URL, then back on our callback with a
 * code, the token endpoint answering through the mock with an ID token built by `token`.
 */
async function signInWith(provider: Provider, token: (nonce: string) => Promise<string>) {
  const browser = new Browser();
  const request = await buildAuthorizationRequest(rp, { scope: 'openid email' });
  const login = await browser.get(request.url.href);
  const redirect = await browser.submit(login, { button: provider.button, followRedirects: false });
  const authorize = new URL(redirect.location!);
  const params = authorize.searchParams;
  expect(params.get('client_id')).toBe(provider.clientId);
  expect(params.get('code_challenge_method')).toBe('S256');
  expect(params.get('redirect_uri')).toBe(`${app.issuer}/federation/${provider.id}/callback`);
  const nonce = params.get('nonce')!;
  expect(nonce).toBeTruthy();
  let tokenRequest: URLSearchParams | undefined;
  const idTokenValue = await token(nonce);
  agent.get(provider.origin).intercept({ path: provider.tokenPath, method: 'POST' }).reply(200, (options) => {
    const { body } = options;
    tokenRequest = new URLSearchParams(typeof body === 'string' ? body : Buffer.from(body as Uint8Array).toString('utf8'));
    return { access_token: 'upstream-access-token', token_type: 'Bearer', expires_in: 3600, id_token: idTokenValue };
  }, { headers: { 'content-type': 'application/json' } });
  const callback = new URL(`${app.issuer}/federation/${provider.id}/callback`);
  callback.search = new URLSearchParams({ code: 'upstream-code', state: params.get('state')! }).toString();
  let page = await browser.get(callback.href);
  if (page.status === 200 && page.body.includes('<h1>Allow access?</h1>')) page = await browser.submit(page, { button: 'Allow' });
  // The code went with the verifier whose S256 hash was the challenge (RFC 7636 §4.6).
  expect(tokenRequest?.get('code')).toBe('upstream-code');
  const verifier = tokenRequest!.get('code_verifier')!;
  expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'));
  return { browser, request, page };
}

describe.each([google, microsoft])('sign-in with $id (arctic, mocked endpoints)', (provider) => {
  it('creates the account, and the ID token says amr fed and idp', async () => {
    const { request, page } = await signInWith(provider, (nonce) => idToken(provider.claims(nonce), signingKey));
    expect(page.location?.startsWith(RP_REDIRECT_URI), `${page.status}\n${textOf(page)}`).toBe(true);
    const claims = (await exchangeCode(rp, { request, callbackUrl: new URL(page.location!) })).claims()!;
    expect(claims.amr).toEqual(['fed']);
    expect(claims.idp).toBe(provider.id);
    const identity = await app.context.database.query<{ issuer: string; subject: string; user_id: string }>(
      'SELECT issuer, subject, user_id FROM federated_identities WHERE provider_id = $1', [provider.id],
    );
    expect(identity.rows).toHaveLength(1);
    expect(identity.rows[0]!.user_id).toBe(claims.sub);
    // Entra: the tenant's issuer and the object id, not the per-application sub.
    if (provider.id === 'microsoft') expect(identity.rows[0]).toMatchObject({ issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, subject: OID });
    else expect(identity.rows[0]).toMatchObject({ issuer: 'https://accounts.google.com', subject: '10987654321' });
  });

  it('refuses an ID token not signed by the provider’s keys', async () => {
    const { page } = await signInWith(provider, (nonce) => idToken({ ...provider.claims(nonce), sub: randomUUID(), oid: randomUUID() }, otherKey));
    expect(page.status).toBe(400);
    expect(textOf(page)).toContain('its answer could not be verified');
  });

  it('refuses an ID token with another nonce, or for another client', async () => {
    const wrongNonce = await signInWith(provider, () => idToken(provider.claims('someone-elses-nonce'), signingKey));
    expect(wrongNonce.page.status).toBe(400);
    const wrongAudience = await signInWith(provider, (nonce) => idToken({ ...provider.claims(nonce), aud: 'another-client' }, signingKey));
    expect(wrongAudience.page.status).toBe(400);
    expect(textOf(wrongAudience.page)).toContain('its answer could not be verified');
  });
});

describe('Microsoft Entra ID', () => {
  it('does not create an account from an email the tenant has not verified (no xms_edov)', async () => {
    const { page } = await signInWith(microsoft, (nonce) => idToken({ ...microsoft.claims(nonce), oid: randomUUID(), email: 'unverified@contoso.example', xms_edov: undefined }, signingKey));
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Microsoft did not confirm an email address for you');
  });

  it('refuses a token from another tenant', async () => {
    const other = '99999999-9999-4999-8999-999999999999';
    const { page } = await signInWith(microsoft, (nonce) => idToken({ ...microsoft.claims(nonce), tid: other, iss: `https://login.microsoftonline.com/${other}/v2.0` }, signingKey));
    expect(page.status).toBe(400);
  });
});
