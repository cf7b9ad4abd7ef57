// The edges a person can land on, through real HTTP: the root page, the 404 page (HTML with lang
// and a title, JSON for a JSON client), and protocol errors in plain words with a next step and the
// technical text kept to a detail line, never linking to an unregistered redirect_uri.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf, type Page } from '../helpers/browser.js';
import { RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const DETAIL = "Details for the app's developer:";

let app: TestApp;
let clientId: string;
beforeAll(async () => {
  app = await startTestApp();
  const registered = await app.context.clients.register({
    name: 'Friendly App', redirectUris: [RP_REDIRECT_URI, 'https://rp.example.test/other'], scope: 'openid',
  });
  clientId = registered.clientId;
});
afterAll(async () => { await app?.close(); });

function authorize(params: Record<string, string>): Promise<Page> {
  const url = new URL('/auth', app.issuer);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return new Browser().get(url.href, { followRedirects: false });
}

function hrefs(page: Page): string[] {
  return [...page.body.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!.replace(/&amp;/g, '&'));
}

describe('root and unknown paths', () => {
  it('shows a small Gatehouse page at /, with the account and discovery links', async () => {
    const page = await new Browser().get(`${app.issuer}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html lang="en">/);
    expect(page.body).toMatch(/<title>[^<]+ · Gatehouse<\/title>/);
    expect(textOf(page)).toContain('sign-in service');
    expect(hrefs(page)).toEqual(expect.arrayContaining(['/account', '/.well-known/openid-configuration']));
  });

  it('answers an unknown path with the layout\'s 404 page for a browser and JSON for a JSON client', async () => {
    const page = await new Browser().get(`${app.issuer}/no/such/page`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html lang="en">/);
    expect(page.body).toContain('<title>Page not found · Gatehouse</title>');
    expect(hrefs(page)).toContain('/account');

    const head = await fetch(`${app.issuer}/no/such/page`, { method: 'HEAD', headers: { accept: 'text/html' } });
    expect(head.status).toBe(404);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);

    const json = await fetch(`${app.issuer}/no/such/page`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toMatchObject({ error: 'not_found' });
  });

  it('leaves the protocol endpoints\' own answers alone', async () => {
    const token = await fetch(`${app.issuer}/token`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nope' });
    expect(token.status).toBe(400);
    expect((await token.json() as { error: string }).error).toMatch(/^invalid_/);
    const discovery = await fetch(`${app.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
  });
});

describe('protocol errors a person meets', () => {
  it('invalid_client: plain words, "Sign in again", and the library text only in the detail line', async () => {
    const page = await authorize({ client_id: 'no-such-client', response_type: 'code', scope: 'openid', redirect_uri: RP_REDIRECT_URI });
    expect(page.status).toBe(400);
    const text = textOf(page);
    expect(text).toContain('This app is not known here');
    expect(text).toContain(`${DETAIL} invalid_client`);
    expect(text).toContain('client is invalid');
    expect(text.indexOf('client is invalid')).toBeGreaterThan(text.indexOf(DETAIL));
    expect(page.body).toMatch(/<a class="button button-primary" href="\/account">Sign in again<\/a>/);
    expect(hrefs(page)).not.toContain(RP_REDIRECT_URI);
  });

  it('invalid_redirect_uri: no link to the app at all, least of all to the unregistered address', async () => {
    const evil = 'https://evil.example/callback';
    const page = await authorize({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: evil });
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    const text = textOf(page);
    expect(text).toContain('This app asked to send you somewhere unexpected');
    expect(text).toContain(`${DETAIL} invalid_redirect_uri`);
    expect(text).not.toContain('Go back to');
    expect(page.body).not.toContain('evil.example');
    expect(hrefs(page).filter((href) => /^https?:/.test(href))).toEqual([]);
    expect(hrefs(page)).toContain('/account');
  });

  it('invalid_request from a known app: plain words and "Go back to <app>" to a registered address\'s site', async () => {
    // Two registered redirect_uris and none named: the provider cannot pick one, so it shows the page.
    const page = await authorize({ client_id: clientId, response_type: 'code', scope: 'openid' });
    expect(page.status).toBe(400);
    const text = textOf(page);
    expect(text).toContain('The app sent an incomplete sign-in request');
    expect(text).toContain(`${DETAIL} invalid_request`);
    expect(text).toContain('redirect_uri');
    expect(page.body).toContain('href="https://rp.example.test">Go back to Friendly App</a>');
  });

  it('an expired or unknown sign-in says why and offers the way back when the app is known', async () => {
    const unknown = await new Browser().get(`${app.issuer}/interaction/does-not-exist`);
    expect(unknown.status).toBe(400);
    expect(textOf(unknown)).toContain('The sign-in took too long, or it was started in another browser.');
    expect(textOf(unknown)).toContain(`${DETAIL} interaction_expired`);
    expect(unknown.body).toMatch(/href="\/account">Sign in again</);

    // Started in one browser, opened in another: the interaction exists, so its app is known.
    const started = await authorize({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: RP_REDIRECT_URI, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    expect(started.location).toMatch(/\/interaction\//);
    const elsewhere = await new Browser().get(new URL(started.location!, app.issuer).href);
    expect(elsewhere.status).toBe(400);
    expect(textOf(elsewhere)).toContain('started in another browser');
    expect(elsewhere.body).toContain('href="https://rp.example.test">Go back to Friendly App</a>');
  });
});
