// The hosted pages end to end: a real app, a browser with a cookie jar, openid-client as the RP.
import { randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { createRenderer } from '../../src/http/render.js';
import { createTranslator } from '../../src/i18n/translator.js';
import { createProviderPages } from '../../src/oidc/pages.js';
import { createClientRepository } from '../../src/storage/repositories/clients.js';
import { Browser, parseForms, type Page } from '../helpers/browser.js';
import {
  buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI, signIn,
} from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'ada@example.test';
const PASSWORD = 'correct horse battery staple';
const CLIENT_NAME = 'Reports <b>& Co</b>';
const RP_ORIGIN = new URL(RP_REDIRECT_URI).origin;

describe('hosted sign-in, consent and logout pages', () => {
  let app: TestApp;
  let config: oidc.Configuration;
  let clientId: string;

  beforeAll(async () => {
    app = await startTestApp();
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true, name: 'Ada Lovelace' });
    clientId = 'reports';
    const clientSecret = randomBytes(32).toString('base64url');
    await createClientRepository(app.context).insertClient(clientId, {
      client_secret: clientSecret,
      client_name: CLIENT_NAME,
      redirect_uris: [RP_REDIRECT_URI],
      post_logout_redirect_uris: [RP_POST_LOGOUT_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid offline_access profile email',
    });
    config = await discoverIssuer(app.issuer, clientId, clientSecret);
  });
  afterAll(async () => { await app?.close(); });
  // Consent is remembered per person and app (consent-remembered.test.ts); each test here starts
  // from a person who has allowed the app nothing.
  beforeEach(async () => { await app.context.database.query('DELETE FROM consents'); });

  const follow = () => ({ followOrigins: [new URL(app.issuer).origin] });

  async function openLoginPage(browser: Browser, scope = 'openid'): Promise<{ page: Page; request: Awaited<ReturnType<typeof buildAuthorizationRequest>> }> {
    const request = await buildAuthorizationRequest(config, { scope });
    const page = await browser.get(request.url.href, follow());
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    return { page, request };
  }

  function directive(page: Page, name: string): string | undefined {
    return page.headers.get('content-security-policy')?.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `));
  }

  it('renders the login page with a CSRF field, accessible fields and strict security headers', async () => {
    const { page } = await openLoginPage(new Browser());
    const [loginForm] = parseForms(page);
    expect(loginForm!.fields.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toMatch(/<label for="email">/);
    expect(page.body).toMatch(/<input id="email" name="email" type="email" autocomplete="username" required/);
    expect(page.body).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password" required/);
    expect(page.body).toContain('href="/assets/gatehouse.css"');
    expect(page.body).not.toMatch(/<script|<style|\sstyle=/i);
    // The client's name is escaped, not interpreted.
    expect(page.body).toContain('Reports &lt;b&gt;&amp; Co&lt;/b&gt;');

    const csp = page.headers.get('content-security-policy')!;
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    // Widened by exactly the validated redirect_uri's origin, for the redirect that ends sign-in.
    expect(directive(page, 'form-action')).toBe(`form-action 'self' ${RP_ORIGIN}`);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('permissions-policy')).toContain('camera=()');
    expect(page.headers.get('strict-transport-security')).toBeNull();
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('serves the stylesheet with caching headers and no directory listing', async () => {
    const css = await fetch(`${app.issuer}/assets/gatehouse.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const etag = css.headers.get('etag')!;
    // fetch adds Cache-Control: no-cache to conditional requests unless the caller sets one.
    const revalidated = await fetch(`${app.issuer}/assets/gatehouse.css`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    expect(revalidated.status).toBe(304);
    expect((await fetch(`${app.issuer}/assets/`)).status).toBe(404);
    expect((await fetch(`${app.issuer}/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('signs in with code + PKCE through the real login and consent pages and yields validated tokens', async () => {
    const browser = new Browser();
    const result = await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid email profile' });
    expect(result.pages.filter((page) => page.body.includes('Allow access?'))).toHaveLength(1);
    expect(result.callbackUrl.searchParams.get('iss')).toBe(app.issuer);

    const tokens = await exchangeCode(config, result);
    const claims = tokens.claims()!;
    expect(claims.auth_time).toEqual(expect.any(Number));
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo.email).toBe(EMAIL);
    expect(userinfo.name).toBe('Ada Lovelace');
  });

  it('lists the requested scopes in words on the consent page', async () => {
    const browser = new Browser();
    // OIDC Core §11: offline_access is honoured only together with prompt=consent.
    const request = await buildAuthorizationRequest(config, { scope: 'openid profile email offline_access', extraParams: { prompt: 'consent' } });
    const login = await browser.get(request.url.href, follow());
    const consent = await browser.submit(login, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow() });
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('Allow access?');
    expect(consent.body).toContain('Reports &lt;b&gt;&amp; Co&lt;/b&gt;');
    expect(consent.body).toContain('Confirm who you are');
    expect(consent.body).toContain('See your name and basic profile details');
    expect(consent.body).toContain('See your email address and whether it is verified');
    expect(consent.body).toContain('Stay signed in: keep access when you&#39;re away');
    expect(consent.body).toContain(`Signed in as ${EMAIL}`);
    // Every form that changes something carries the token; the language picker is a GET form.
    const posted = parseForms(consent).filter((form) => form.method === 'POST');
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((form) => /^[A-Za-z0-9_-]{43}$/.test(form.fields.csrf ?? ''))).toBe(true);
    expect(directive(consent, 'form-action')).toBe(`form-action 'self' ${RP_ORIGIN}`);
  });

  it('lists claims requested with the claims parameter', async () => {
    const browser = new Browser();
    const claims = JSON.stringify({ id_token: { email: null, family_name: null } });
    const request = await buildAuthorizationRequest(config, { scope: 'openid', extraParams: { claims } });
    const login = await browser.get(request.url.href, follow());
    const consent = await browser.submit(login, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow() });
    expect(consent.body).toContain('It also asks for');
    expect(consent.body).toContain('Your email address');
    expect(consent.body).toContain('Your last name');
  });

  it('remembers consent: a second sign-in of the same client on the same session goes straight back', async () => {
    const browser = new Browser();
    const first = await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid email' });
    await exchangeCode(config, first);

    const second = await buildAuthorizationRequest(config, { scope: 'openid email' });
    const page = await browser.get(second.url.href, follow());
    expect(page.status).toBe(303);
    expect(page.location).toMatch(new RegExp(`^${RP_REDIRECT_URI}\\?`));
    const tokens = await exchangeCode(config, { request: second, callbackUrl: new URL(page.location!) });
    expect(tokens.claims()!.sub).toEqual(expect.any(String));

    // Asking for more than was granted shows consent again, for the new scope only.
    const wider = await buildAuthorizationRequest(config, { scope: 'openid email profile' });
    const consent = await browser.get(wider.url.href, follow());
    expect(consent.body).toContain('See your name and basic profile details');
    expect(consent.body).not.toContain('Confirm who you are');
  });

  it('with prompt=login asks for the password again and then completes (login result kept through consent)', async () => {
    const browser = new Browser();
    await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid' });
    const again = await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid profile', extraParams: { prompt: 'login consent' } });
    expect(again.pages.some((page) => page.body.includes('name="password"'))).toBe(true);
    const tokens = await exchangeCode(config, again);
    expect(tokens.claims()!.sub).toEqual(expect.any(String));
  });

  it('gives the same message and status for a wrong password and an unknown email, keeping the email', async () => {
    const answers: Page[] = [];
    for (const [email, password] of [[EMAIL, 'wrong password entirely'], ['nobody@example.test', PASSWORD]] as const) {
      const browser = new Browser();
      const { page } = await openLoginPage(browser);
      answers.push(await browser.submit(page, { button: 'Sign in', fields: { email, password }, ...follow() }));
    }
    const [wrongPassword, unknownEmail] = answers as [Page, Page];
    expect(wrongPassword.status).toBe(400);
    expect(unknownEmail.status).toBe(wrongPassword.status);
    for (const page of answers) {
      expect(page.body).toMatch(/<div class="error-summary" role="alert"/);
      expect(page.body).toContain('Incorrect email or password.');
      expect(page.body).not.toContain('wrong password entirely');
      expect(page.body).not.toContain(PASSWORD);
      expect(parseForms(page)[0]!.fields.password).toBe('');
    }
    expect(parseForms(wrongPassword)[0]!.fields.email).toBe(EMAIL);
    expect(parseForms(unknownEmail)[0]!.fields.email).toBe('nobody@example.test');
  });

  it('asks for missing fields by name', async () => {
    const browser = new Browser();
    const { page } = await openLoginPage(browser);
    const answer = await browser.submit(page, { button: 'Sign in', fields: { email: '', password: '' }, ...follow() });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<a href="#email">Enter your email address.</a>');
    expect(answer.body).toContain('<a href="#password">Enter your password.</a>');
    expect(answer.body).toContain('aria-invalid="true"');
  });

  it('refuses a POST without a valid CSRF token with 403 and changes nothing', async () => {
    const browser = new Browser();
    const { page } = await openLoginPage(browser);
    const missing = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, omit: ['csrf'], ...follow() });
    expect(missing.status).toBe(403);
    expect(missing.location).toBeUndefined();
    expect(missing.body).toContain('This form has expired or was sent from another site.');

    const forged = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD, csrf: 'A'.repeat(43) }, ...follow() });
    expect(forged.status).toBe(403);

    // A token from another browser does not fit this browser's cookie.
    const other = await openLoginPage(new Browser());
    const borrowed = await browser.submit(page, {
      button: 'Sign in', fields: { email: EMAIL, password: PASSWORD, csrf: parseForms(other.page)[0]!.fields.csrf! }, ...follow(),
    });
    expect(borrowed.status).toBe(403);

    // The interaction still waits for a login.
    const again = await browser.get(page.url, follow());
    expect(again.status).toBe(200);
    expect(again.body).toContain('name="password"');
  });

  it('answers 415 for a non-form body and 413 for an oversized form', async () => {
    const browser = new Browser();
    const { page } = await openLoginPage(browser);
    const action = parseForms(page)[0]!.action;
    const cookie = Object.entries(browser.cookiesFor(action)).map(([k, v]) => `${k}=${v}`).join('; ');
    const json = await fetch(action, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}', redirect: 'manual' });
    expect(json.status).toBe(415);
    const big = await fetch(action, {
      method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `email=${'a'.repeat(20_000)}`, redirect: 'manual',
    });
    expect(big.status).toBe(413);
  });

  it('returns access_denied to the redirect_uri when the person cancels', async () => {
    const browser = new Browser();
    const { page, request } = await openLoginPage(browser);
    const answer = await browser.submit(page, { button: /^Cancel/, ...follow() });
    expect(answer.status).toBe(303);
    const callback = new URL(answer.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(RP_REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(request.state);
    await expect(exchangeCode(config, { request, callbackUrl: callback })).rejects.toMatchObject({
      error: 'access_denied', error_description: 'End-User aborted interaction',
    });
  });

  it('returns access_denied when the person denies consent', async () => {
    const browser = new Browser();
    const { page } = await openLoginPage(browser, 'openid email');
    const consent = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow() });
    const answer = await browser.submit(consent, { button: 'Deny', ...follow() });
    expect(new URL(answer.location!).searchParams.get('error')).toBe('access_denied');
  });

  it('shows a readable 400 page for an unknown or used interaction, never a 500', async () => {
    const browser = new Browser();
    const unknown = await browser.get(`${app.issuer}/interaction/does-not-exist`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('This sign-in link has expired or was already used. Go back to the application and start again.');

    // A finished interaction's form posted again (the back button).
    const { page } = await openLoginPage(browser, 'openid email');
    await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow() });
    const replay = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow() });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('This sign-in link has expired or was already used.');

    const json = await fetch(`${app.issuer}/interaction/does-not-exist`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'interaction_expired', error_description: expect.stringContaining('expired') });
  });

  it('never redirects to an unregistered redirect_uri: the error page is shown instead', async () => {
    const request = await buildAuthorizationRequest(config, { redirectUri: 'https://evil.example/callback' });
    const page = await new Browser().get(request.url.href, { followRedirects: false });
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('invalid_redirect_uri');
    expect(page.body).not.toMatch(/<script|<style/i);
    expect(page.headers.get('content-security-policy')).not.toContain('evil.example');
    expect(directive(page, 'form-action')).toBe("form-action 'self'");
  });

  it('lets oidc-provider\'s form_post page run its one script and post to the client, nothing else', async () => {
    const browser = new Browser();
    const request = await buildAuthorizationRequest(config, { scope: 'openid', extraParams: { response_mode: 'form_post' } });
    const login = await browser.get(request.url.href, follow());
    const consent = await browser.submit(login, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow() });
    const formPost = await browser.submit(consent, { button: 'Allow', ...follow() });
    expect(formPost.status).toBe(200);
    const [form] = parseForms(formPost);
    expect(form!.action).toBe(RP_REDIRECT_URI);
    expect(form!.fields.code).toEqual(expect.any(String));
    expect(directive(formPost, 'script-src')).toMatch(/^script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(directive(formPost, 'form-action')).toBe(`form-action 'self' ${RP_ORIGIN}`);
    expect(formPost.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('keeps oidc-provider JSON errors on protocol endpoints', async () => {
    const response = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=authorization_code&code=nope',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await response.json() as { error: string }).error).toMatch(/invalid_/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('confirms RP-initiated logout on our page, and confirming ends the session', async () => {
    const browser = new Browser();
    const signedIn = await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid' });
    const tokens = await exchangeCode(config, signedIn);
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: RP_POST_LOGOUT_REDIRECT_URI,
      state: 'bye',
    });

    const confirm = await browser.get(endSession.href, follow());
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Sign out?');
    expect(confirm.body).toContain('<form id="op.logoutForm"');
    expect(confirm.body).toMatch(/<button type="submit" form="op.logoutForm" name="logout" value="yes"/);
    expect(confirm.body).not.toMatch(/<script|<style|\sstyle=/i);
    expect(directive(confirm, 'form-action')).toBe(`form-action 'self' ${RP_ORIGIN}`);

    const done = await browser.submit(confirm, { button: 'Sign out', ...follow() });
    expect(done.status).toBe(303);
    const back = new URL(done.location!);
    expect(`${back.origin}${back.pathname}`).toBe(RP_POST_LOGOUT_REDIRECT_URI);
    expect(back.searchParams.get('state')).toBe('bye');

    const next = await buildAuthorizationRequest(config, { scope: 'openid' });
    const login = await browser.get(next.url.href, follow());
    expect(login.status).toBe(200);
    expect(login.body).toContain('name="password"');
  });

  it('"Stay signed in" signs out of the client only and shows our success page', async () => {
    const browser = new Browser();
    const signedIn = await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid' });
    await exchangeCode(config, signedIn);
    const confirm = await browser.get(`${app.issuer}/session/end?client_id=${encodeURIComponent(clientId)}`, follow());
    const done = await browser.submit(confirm, { button: 'Stay signed in', ...follow() });
    expect(done.status).toBe(200);
    expect(done.body).toContain('You have signed out');
    expect(done.body).toContain('Reports &lt;b&gt;&amp; Co&lt;/b&gt;');
    expect(done.body).not.toMatch(/<script|<style|\sstyle=/i);

    // The Gatehouse session stays: no password asked, and no consent either. The client's grant
    // went with its sign-out; the person's consent to the app is remembered apart from it.
    const next = await buildAuthorizationRequest(config, { scope: 'openid' });
    const page = await browser.get(next.url.href, follow());
    expect(page.status).toBe(303);
    expect(page.location).toMatch(new RegExp(`^${RP_REDIRECT_URI}\\?code=`));
  });

  it('escapes HTML in error_description on the error page and never shows a stack', async () => {
    const renderer = createRenderer({ viewsDir: path.join(PROJECT_ROOT, 'views'), cache: false, translator: createTranslator({ dir: path.join(PROJECT_ROOT, 'locales') }) });
    const pages = createProviderPages(renderer);
    const req = new IncomingMessage(new Socket());
    req.method = 'GET';
    req.url = '/auth';
    req.headers = { accept: 'text/html' };
    const ctx = new Koa().createContext(req, new ServerResponse(req));
    ctx.status = 400;
    const error = new Error('boom');
    await pages.renderError(ctx as unknown as KoaContextWithOIDC, {
      error: 'invalid_request',
      error_description: '<script>alert(1)</script><img src=x onerror=alert(2)>',
    }, error);
    const body = String(ctx.body);
    expect(ctx.status).toBe(400);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(body).not.toContain('<script>');
    expect(body).not.toContain('<img');
    expect(body).not.toContain(error.stack!.split('\n')[1]!.trim());
  });
});
