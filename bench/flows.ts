// Client side of the flows that need more than one request: a sign-in through the real pages
// (GET /auth -> login form -> consent form -> redirect with code) and the code exchange.
import { createHash, randomBytes } from 'node:crypto';
import { REDIRECT_URI, SIGN_IN_SCOPE, type ClientCredentials, type TargetReady } from './fixtures.js';

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_HOPS = 12;

export function basicAuth(client: ClientCredentials): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_match, entity: string) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[entity] ?? _match);
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag);
  return match ? decodeEntities(match[1]!) : undefined;
}

/** The first form whose action ends with one of `suffixes`, with its named inputs. */
function findForm(html: string, suffixes: string[]): { action: string; fields: URLSearchParams } | undefined {
  for (const match of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
    const action = attribute(match[0].slice(0, match[0].indexOf('>') + 1), 'action') ?? '';
    if (!suffixes.some((suffix) => action.endsWith(suffix))) continue;
    const fields = new URLSearchParams();
    for (const input of match[0].matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], 'name');
      if (name) fields.set(name, attribute(input[0], 'value') ?? '');
    }
    return { action, fields };
  }
  return undefined;
}

class CookieJar {
  #cookies = new Map<string, string>();

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  // Paths are ignored: each sign-in has its own jar and oidc-provider's cookie names are distinct.
  store(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
  }
}

export interface Authorization {
  code: string;
  codeVerifier: string;
}

// Gatehouse knows a returning browser by its device cookie (new-device alerts): each account
// signs in again from the browser it used before, as most sign-ins do, not from a new one.
const DEVICE_COOKIES = ['gatehouse.device', 'gatehouse.device.sig'];
const returningBrowsers = new Map<string, Map<string, string>>();

/**
 * One sign-in without a session: PKCE S256, prompt=consent (oidc-provider issues refresh tokens
 * only after an explicit consent to offline_access), the password form, then the consent form.
 * Only the device cookie carries over from the account's previous sign-in.
 */
export async function signIn(target: TargetReady, account: { email: string; password: string }): Promise<Authorization> {
  const jar = new CookieJar();
  for (const [name, value] of returningBrowsers.get(account.email) ?? []) jar.set(name, value);
  const remember = () => {
    const kept = new Map(DEVICE_COOKIES.flatMap((name) => { const value = jar.get(name); return value ? [[name, value] as const] : []; }));
    if (kept.size > 0) returningBrowsers.set(account.email, kept);
  };
  const codeVerifier = randomBytes(32).toString('base64url');
  const start = new URL('/auth', target.url);
  start.search = new URLSearchParams({
    client_id: target.web.clientId,
    response_type: 'code',
    scope: SIGN_IN_SCOPE,
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
    prompt: 'consent',
  }).toString();

  let url = start.href;
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: body?.toString(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    jar.store(response);
    const html = await response.text();
    body = undefined;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      if (location.startsWith(REDIRECT_URI)) {
        const code = new URL(location).searchParams.get('code');
        if (!code) throw new Error(`redirected to the client without a code: ${location}`);
        remember();
        return { code, codeVerifier };
      }
      url = new URL(location, url).href;
      continue;
    }
    const login = response.status === 200 ? findForm(html, ['/login']) : undefined;
    const consent = response.status === 200 && !login ? findForm(html, ['/confirm']) : undefined;
    const form = login ?? consent;
    if (!form) throw new Error(`sign-in stuck at ${url} (${response.status}): ${html.slice(0, 200)}`);
    if (login) {
      form.fields.set('email', account.email);
      form.fields.set('password', account.password);
    }
    url = new URL(form.action, url).href;
    body = form.fields;
  }
  throw new Error(`sign-in took more than ${MAX_HOPS} requests`);
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

export async function tokenRequest(target: TargetReady, client: ClientCredentials, params: Record<string, string>): Promise<TokenResponse> {
  const response = await fetch(new URL('/token', target.url), {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as TokenResponse;
}

export function exchangeCode(target: TargetReady, authorization: Authorization): Promise<TokenResponse> {
  return tokenRequest(target, target.web, {
    grant_type: 'authorization_code',
    code: authorization.code,
    redirect_uri: REDIRECT_URI,
    code_verifier: authorization.codeVerifier,
  });
}

/** The whole code flow: sign-in through the pages, then the code exchange. */
export async function codeFlow(target: TargetReady, account: { email: string; password: string }): Promise<TokenResponse> {
  return exchangeCode(target, await signIn(target, account));
}
