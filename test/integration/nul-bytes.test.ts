// Postgres refuses text holding U+0000 ("invalid byte sequence for encoding UTF8: 0x00") and jsonb
// refuses \u0000. A %00 from outside — in a page form, a query string, a protocol body, an
// upstream's claim — must be answered with a clear 4xx, never a 500, and never cost audit rows.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditLog } from '../../src/services/audit.js';
import { stringClaim } from '../../src/services/upstream.js';
import { Browser } from '../helpers/browser.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { storageKinds } from '../helpers/database.js';
import { testRedisUrl } from '../helpers/redis.js';
import { buildAuthorizationRequest, discoverIssuer, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { startTestApp, type StartTestAppOptions, type TestApp } from '../helpers/start-app.js';
import type * as oidc from 'openid-client';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

// With Redis the short-lived models (interactions, codes, access tokens) are stored there instead.
const variants: { name: string; options: StartTestAppOptions }[] = [
  ...storageKinds.map((kind) => ({ name: kind, options: { kind } })),
  ...(testRedisUrl ? [{ name: 'postgres + redis', options: { redis: true } }] : []),
];

describe.each(variants)('a NUL byte from outside, on $name', ({ options }) => {
  let app: TestApp;
  let rp: oidc.Configuration;
  let machine: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    app = await startTestApp(options);
    const web = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI] });
    rp = await discoverIssuer(app.issuer, web.clientId, web.clientSecret!);
    const registered = await app.context.clients.register({ name: 'Machine', redirectUris: [], grants: ['client_credentials'] });
    machine = { clientId: registered.clientId, clientSecret: registered.clientSecret! };
  });
  afterAll(async () => { await app?.close(); });

  async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${app.issuer}${path}`, { method: 'POST', headers: { ...FORM, accept: 'application/json', ...headers }, body });
  }

  describe('in a page form', () => {
    it('in the login email is a 400 page, not a 500', async () => {
      const browser = new Browser();
      const request = await buildAuthorizationRequest(rp);
      const login = await browser.get(request.url.href);
      expect(login.body).toContain('name="password"');
      const answer = await browser.submit(login, { button: 'Sign in', fields: { email: 'a\u0000b@example.test', password: 'whatever it is' } });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      expect(answer.body).toContain('The form contains a character that is not allowed.');
    });

    it('in the registration name or a field name is a 400', async () => {
      const browser = new Browser();
      const form = await browser.get(`${app.issuer}/account/register`);
      expect(form.status).toBe(200);
      const byValue = await browser.submit(form, {
        button: 'Create account', fields: { email: 'nul.name@example.test', name: 'Ada\u0000Lovelace', password: 'a long enough passphrase' }, followRedirects: false,
      });
      expect(byValue.status).toBe(400);
      expect(byValue.body).toContain('The form contains a character that is not allowed.');
      const again = await browser.get(`${app.issuer}/account/register`);
      const byName = await browser.submit(again, {
        button: 'Create account', fields: { email: 'nul.key@example.test', name: 'Ada', password: 'a long enough passphrase', 'x\u0000': '1' }, followRedirects: false,
      });
      expect(byName.status).toBe(400);
      const stored = await app.context.database.query("SELECT 1 FROM users WHERE email LIKE 'nul.%'");
      expect(stored.rows).toHaveLength(0);
    });
  });

  describe('in a query string', () => {
    it('at the authorization endpoint is a 400: a page for browsers, invalid_request JSON for clients', async () => {
      const request = await buildAuthorizationRequest(rp);
      const url = `${request.url.href.replace(/state=[^&]*/, 'state=%00')}`;
      const page = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(page.status).toBe(400);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      await page.arrayBuffer();
      const json = await fetch(url.replace('state=%00', 'state=a%00b'), { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
    });

    it('on the account callback is a 4xx, with or without a sign-in under way', async () => {
      const cold = await fetch(`${app.issuer}/account/signed-in?state=x&code=%00`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(cold.status).toBe(400);
      await cold.arrayBuffer();
      // With the browser's own pending sign-in, so the state check passes and the code is what is judged:
      // one that cannot be an authorization code is not looked up at all.
      const browser = new Browser();
      const find = vi.spyOn(app.app.provider.AuthorizationCode, 'find');
      try {
        for (const code of ['%00', 'a%00b', 'not%20a%20code', 'a.b', `${'x'.repeat(257)}`, '%C3%A9']) {
          const start = await browser.get(`${app.issuer}/account/sign-in`, { followRedirects: false });
          const state = new URL(start.location!).searchParams.get('state')!;
          const answer = await browser.get(`${app.issuer}/account/signed-in?state=${state}&code=${code}`, { followRedirects: false });
          expect(answer.status, code).toBe(400);
          // A NUL is refused before the route runs; any other bad code gets the route's own answer.
          if (!code.includes('%00')) expect(answer.body, code).toContain('This sign-in has expired or was started in another browser.');
        }
        expect(find).not.toHaveBeenCalled();
        const start = await browser.get(`${app.issuer}/account/sign-in`, { followRedirects: false });
        const state = new URL(start.location!).searchParams.get('state')!;
        const wellFormed = await browser.get(`${app.issuer}/account/signed-in?state=${state}&code=Abc_123-xyz`, { followRedirects: false });
        expect(wellFormed.status).toBe(400);
        expect(find).toHaveBeenCalledWith('Abc_123-xyz');
      } finally {
        find.mockRestore();
      }
    });
  });

  describe('in a protocol body', () => {
    it('in client_id is invalid_client at the token and PAR endpoints', async () => {
      const inBody = await post('/token', `grant_type=client_credentials&client_id=a%00b&client_secret=${machine.clientSecret}`);
      expect(inBody.status).toBe(401);
      expect(await inBody.json()).toMatchObject({ error: 'invalid_client' });
      // In HTTP Basic oidc-provider refuses it itself (only VSCHAR, RFC 6749 Appendix A.1).
      const inBasic = await post('/token', 'grant_type=client_credentials', { authorization: basic('a\u0000b', machine.clientSecret) });
      expect(inBasic.status).toBe(400);
      expect(await inBasic.json()).toMatchObject({ error: 'invalid_request' });
      const inPar = await post('/request', `client_id=a%00b&client_secret=x&response_type=code&redirect_uri=${encodeURIComponent(RP_REDIRECT_URI)}&scope=openid`);
      expect(inPar.status).toBe(401);
      await inPar.arrayBuffer();
    });

    it('in a token value is refused as usual at the token, introspection and revocation endpoints', async () => {
      const authorization = basic(machine.clientId, machine.clientSecret);
      const refresh = await post('/token', 'grant_type=refresh_token&refresh_token=a%00b', { authorization });
      expect(refresh.status).toBeLessThan(500);
      expect(await refresh.json()).toMatchObject({ error: expect.stringMatching(/^(invalid_grant|unauthorized_client|unsupported_grant_type|invalid_request)$/) });
      const code = await post('/token', `grant_type=authorization_code&code=a%00b&redirect_uri=${encodeURIComponent(RP_REDIRECT_URI)}`, { authorization });
      expect(code.status).toBeLessThan(500);
      await code.arrayBuffer();
      const introspection = await post('/token/introspection', 'token=a%00bcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', { authorization });
      expect(introspection.status).toBe(200);
      expect(await introspection.json()).toEqual({ active: false });
      for (const hint of ['', '&token_type_hint=refresh_token', '&token_type_hint=access_token']) {
        const revocation = await post('/token/revocation', `token=a%00bcdefghijklmnopqrstuvwxyz0123456789ABCDEFG${hint}`, { authorization });
        expect(revocation.status, hint).toBe(200);
        await revocation.arrayBuffer();
      }
    });

    it('at the adapters is "not found" without a storage call', async () => {
      const { provider } = app.app;
      expect(await provider.Client.find('a\u0000b')).toBeUndefined();
      expect(await provider.AccessToken.find('a\u0000b')).toBeUndefined();
      expect(await provider.RefreshToken.find('a\u0000b')).toBeUndefined();
      expect(await provider.Interaction.find('a\u0000b')).toBeUndefined();
      expect(await provider.Session.findByUid('a\u0000b')).toBeUndefined();
    });
  });

  it('in one token request does not cost the audit rows of the others in its batch', async () => {
    await app.context.audit.flush();
    const before = await app.context.database.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE type = 'token.issued'");
    const authorization = basic(machine.clientId, machine.clientSecret);
    const good = Array.from({ length: 8 }, () => post('/token', 'grant_type=client_credentials', { authorization }));
    const bad = post('/token', 'grant_type=x%00y', { authorization });
    const answers = await Promise.all([...good, bad]);
    expect(answers.map((answer) => answer.status)).toEqual([...good.map(() => 200), 400]);
    await Promise.all(answers.map((answer) => answer.arrayBuffer()));
    await app.context.audit.flush();
    const rows = await app.context.database.query<{ outcome: string; grant_type: string | null }>(
      "SELECT outcome, detail->>'grantType' AS grant_type FROM audit_events WHERE type = 'token.issued' ORDER BY id OFFSET $1", [before.rows[0]!.n]);
    expect(rows.rows.filter((row) => row.outcome === 'success')).toHaveLength(8);
    expect(rows.rows.filter((row) => row.outcome === 'failure')).toEqual([{ outcome: 'failure', grant_type: 'xy' }]);
  });

  it('a batch the database refuses is stored row by row: only the bad row is lost, and counted in the log', async () => {
    const { logger, entries } = captureLogger();
    const audit = createAuditLog({ database: app.context.database, logger });
    const clientId = 'row-by-row';
    for (let i = 0; i < 5; i += 1) audit.recordSoon({ type: 'token.issued', outcome: 'success', clientId, detail: { n: i } });
    // account_id is a uuid column: this one row makes the whole multi-row INSERT fail.
    audit.recordSoon({ type: 'token.issued', outcome: 'success', clientId, accountId: 'not-a-uuid', detail: { n: 99 } });
    await audit.flush();
    const stored = await app.context.database.query<{ n: string }>("SELECT detail->>'n' AS n FROM audit_events WHERE client_id = $1 ORDER BY id", [clientId]);
    expect(stored.rows.map((row) => row.n)).toEqual(['0', '1', '2', '3', '4']);
    const failures = entries().filter((entry) => entry.msg === 'audit events not stored');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, audit: { count: 1, types: ['token.issued'] } });
  });
});

describe('stringClaim', () => {
  it('treats a claim holding a control character as absent', () => {
    expect(stringClaim('Ada Lovelace', 200)).toBe('Ada Lovelace');
    expect(stringClaim('Zoë Ünlü 名前', 200)).toBe('Zoë Ünlü 名前');
    for (const bad of ['a\u0000b', '\u0000', 'line\nbreak', 'tab\there', 'bell\u0007', 'unit\u001f', 'del\u007f']) {
      expect(stringClaim(bad, 200), JSON.stringify(bad)).toBeNull();
    }
  });
});
