// Over https every cookie Gatehouse sets carries a prefix the browser enforces (RFC 6265bis
// §4.1.3), oidc-provider's own included. The app listens on plain http behind a trusted proxy that
// terminated TLS (X-Forwarded-Proto: https), as in a deployment with TRUST_PROXY=true.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, parseForms, type Page } from '../helpers/browser.js';
import { linkFromMail, uniqueEmail } from '../helpers/accounts.js';
import { createAdmin, ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PUBLIC_ISSUER = 'https://id.example.test';
const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example.test' };
const PASSWORD = 'correct horse battery';

describe('cookies under an https issuer', () => {
  let app: TestApp;
  let local: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { ISSUER: PUBLIC_ISSUER, TRUST_PROXY: 'true' } });
    local = app.issuer;
  });
  afterAll(async () => { await app?.close(); });

  /** The URL the proxy would forward a public URL to. */
  function behindProxy(url: string): string {
    return url.startsWith(PUBLIC_ISSUER) ? `${local}${url.slice(PUBLIC_ISSUER.length)}` : url;
  }

  /** Follows redirects while they stay on the issuer, as a browser would through the proxy. */
  async function visit(browser: Browser, url: string, form?: URLSearchParams): Promise<Page> {
    let page = await browser.request(behindProxy(url), { ...(form ? { method: 'POST', form } : {}), headers: FORWARDED, followRedirects: false });
    const onIssuer = (location: string | undefined) => location !== undefined && (location.startsWith(PUBLIC_ISSUER) || location.startsWith(local));
    for (let hops = 0; hops < 10 && onIssuer(page.location); hops += 1) {
      page = await browser.get(behindProxy(page.location!), { headers: FORWARDED, followRedirects: false });
    }
    return page;
  }

  async function submitFirstForm(browser: Browser, page: Page, fields: Record<string, string> = {}): Promise<Page> {
    const form = parseForms(page).find((candidate) => candidate.method === 'POST')!;
    const data = new URLSearchParams({ ...form.fields, ...fields });
    const button = form.buttons.find((candidate) => candidate.name);
    if (button) data.set(button.name!, button.value ?? '');
    return visit(browser, form.action, data);
  }

  it('prefixes oidc-provider\'s session, interaction and resume cookies (and their signatures) like our own', async () => {
    const email = uniqueEmail('cookies');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const client = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI] });
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${PUBLIC_ISSUER}/auth`);
    authorize.search = new URLSearchParams({
      client_id: client.clientId, response_type: 'code', redirect_uri: RP_REDIRECT_URI, scope: 'openid', state: 'xyz',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();

    const browser = new Browser();
    const login = await visit(browser, authorize.href);
    expect(login.status, login.body).toBe(200);
    let page = await submitFirstForm(browser, login, { email, password: PASSWORD });
    for (let steps = 0; steps < 3 && page.status === 200; steps += 1) page = await submitFirstForm(browser, page);
    expect(page.location, page.body).toMatch(new RegExp(`^${RP_REDIRECT_URI}\\?code=`));

    expectPrefixed(browser, ['__Host-_session', '__Secure-_interaction', '__Secure-_interaction_resume']);
  });

  it('prefixes the admin console\'s cookies too', async () => {
    await createAdmin(app, 'cookie-admin@example.test');
    const browser = new Browser();
    const login = await visit(browser, `${PUBLIC_ISSUER}/admin`);
    expect(login.status, login.body).toBe(200);
    const page = await submitFirstForm(browser, login, { email: 'cookie-admin@example.test', password: ADMIN_TEST_PASSWORD });
    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('Dashboard');
    expectPrefixed(browser, ['__Host-gatehouse.admin-sign-in', '__Secure-gatehouse.admin']);
  });

  it('prefixes the cookies that lead a reset back into its sign-in', async () => {
    const email = uniqueEmail('journey');
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const client = await app.context.clients.register({ name: 'Journal', redirectUris: [RP_REDIRECT_URI] });
    const authorize = new URL(`${PUBLIC_ISSUER}/auth`);
    authorize.search = new URLSearchParams({
      client_id: client.clientId, response_type: 'code', redirect_uri: RP_REDIRECT_URI, scope: 'openid', state: 'xyz',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    const browser = new Browser();
    const login = await visit(browser, authorize.href);
    const forgotPath = /href="(\/account\/forgot-password\?interaction=[^"]+)"/.exec(login.body)?.[1];
    expect(forgotPath, login.body).toBeDefined();
    const forgot = await visit(browser, `${PUBLIC_ISSUER}${forgotPath}`);
    await submitFirstForm(browser, forgot, { email });
    const reset = await visit(browser, await linkFromMail({ ...app, issuer: PUBLIC_ISSUER }, email, 'Reset your password', '/account/reset-password'));
    const done = await submitFirstForm(browser, reset, { password: 'a brand new passphrase here' });
    expect(done.body).toContain('Continue signing in to Journal');
    expectPrefixed(browser, ['__Secure-gatehouse.journey', '__Secure-gatehouse.journey-note']);
  });

  /** Every cookie set on the way is prefixed and Secure; `expected` (and their signatures) among them. */
  function expectPrefixed(browser: Browser, expected: string[]): void {
    const cookies = browser.history.flatMap((visited) => visited.headers.getSetCookie());
    const names = new Set(cookies.map((cookie) => cookie.slice(0, cookie.indexOf('='))));
    for (const name of expected) {
      expect(names).toContain(name);
      expect(names).toContain(`${name}.sig`);
    }
    for (const cookie of cookies) {
      const name = cookie.slice(0, cookie.indexOf('='));
      expect(name, cookie).toMatch(/^__(Host|Secure)-/);
      expect(cookie.toLowerCase(), name).toContain('; secure');
      // __Host- cookies must have path=/ and no Domain, or the browser drops them.
      if (name.startsWith('__Host-')) {
        expect(cookie.toLowerCase(), name).toContain('; path=/;');
        expect(cookie.toLowerCase(), name).not.toContain('domain=');
      }
    }
  }
});
