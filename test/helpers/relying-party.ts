// The relying party side of the tests: openid-client v6 against the running app, and a sign-in
// that walks the real login and consent pages with the test Browser.
import * as client from 'openid-client';
import type { Browser, Page } from './browser.js';

export const RP_REDIRECT_URI = 'https://rp.example.test/callback';
export const RP_POST_LOGOUT_REDIRECT_URI = 'https://rp.example.test/signed-out';

/** Discovery over http (the test issuer), with client_secret_basic. */
export async function discoverIssuer(issuer: string, clientId: string, clientSecret: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
  });
}

export interface AuthorizationRequest {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
}

/** An authorization request with PKCE (S256), state and nonce (RFC 9700 §2.1.1). */
export async function buildAuthorizationRequest(
  config: client.Configuration,
  options: { scope?: string; redirectUri?: string; extraParams?: Record<string, string> } = {},
): Promise<AuthorizationRequest> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const redirectUri = options.redirectUri ?? RP_REDIRECT_URI;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.extraParams,
  });
  return { url, codeVerifier, state, nonce, redirectUri };
}

export interface SignInOptions {
  email: string;
  password: string;
  scope?: string;
  redirectUri?: string;
  extraParams?: Record<string, string>;
}

export interface SignInResult {
  request: AuthorizationRequest;
  /** The redirect back to the client, with code, state and iss. */
  callbackUrl: URL;
  /** Every page shown on the way, for assertions. */
  pages: Page[];
}

function isInteraction(page: Page): boolean {
  return page.status === 200 && /\/interaction\/[^/]+$/.test(new URL(page.url).pathname);
}

/** Starts at the authorization endpoint, signs in and consents on the real pages, stops at the callback. */
export async function signIn(browser: Browser, config: client.Configuration, options: SignInOptions): Promise<SignInResult> {
  const request = await buildAuthorizationRequest(config, options);
  const issuerOrigin = request.url.origin;
  const pages: Page[] = [];
  let page = await browser.get(request.url.href, { followOrigins: [issuerOrigin] });
  for (let steps = 0; steps < 5 && isInteraction(page); steps += 1) {
    pages.push(page);
    if (page.body.includes('name="password"')) {
      page = await browser.submit(page, { button: 'Sign in', fields: { email: options.email, password: options.password }, followOrigins: [issuerOrigin] });
    } else {
      page = await browser.submit(page, { button: 'Allow', followOrigins: [issuerOrigin] });
    }
  }
  pages.push(page);
  if (!page.location || !page.location.startsWith(request.redirectUri)) {
    throw new Error(`sign-in did not reach the redirect_uri; last page ${page.url} (${page.status}):\n${page.body}`);
  }
  return { request, callbackUrl: new URL(page.location), pages };
}

/** The code exchange; openid-client checks state, PKCE, iss and the ID token (signature, nonce, aud). */
export async function exchangeCode(config: client.Configuration, result: Pick<SignInResult, 'request' | 'callbackUrl'>) {
  return client.authorizationCodeGrant(config, result.callbackUrl, {
    pkceCodeVerifier: result.request.codeVerifier,
    expectedState: result.request.state,
    expectedNonce: result.request.nonce,
    idTokenExpected: true,
  });
}
