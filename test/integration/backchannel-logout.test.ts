// Back-channel logout (OpenID Back-Channel Logout 1.0): every way a session ends sends
// the apps it signed in to a logout token that validates as the spec asks — RP-initiated logout,
// signing out another device, signing out everywhere else, a password change, a password reset,
// a deactivation, and an admin's `gatehouse sessions revoke`. Notices go through a durable
// outbox: a receiver that is down at first gets the token once it is back, also across a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, linkFromMail, uniqueEmail } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { openAccountPage, SESSION_TEST_PASSWORD, startBackchannelReceiver, validateLogoutToken, type BackchannelReceiver } from '../helpers/sessions.js';
import { createTestDatabase } from '../helpers/database.js';
import { cliEnvironment, runCli } from '../helpers/gatehouse-process.js';
import { discoverIssuer, exchangeCode, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = SESSION_TEST_PASSWORD;
const NEW_PASSWORD = 'another entirely different passphrase';
const settings = createSettingsFiles('gh-backchannel-');
afterAll(() => settings.remove());
const FAST = {
  sessions: { backchannelLogout: { allowPrivateAddresses: true, pollIntervalMs: 100, baseDelaySeconds: 1, maxDelaySeconds: 1, timeoutMs: 2000 } },
};

interface Rp { config: oidc.Configuration; clientId: string; receiver: BackchannelReceiver }

async function registerRp(app: TestApp, receiver: BackchannelReceiver, name = 'Notebook'): Promise<Rp> {
  const client = await app.context.clients.register({
    name, redirectUris: [RP_REDIRECT_URI], postLogoutRedirectUris: [RP_POST_LOGOUT_REDIRECT_URI], backchannelLogoutUri: receiver.uri,
    backchannelLogoutSessionRequired: true,
  });
  return { config: await discoverIssuer(app.issuer, client.clientId, client.clientSecret!), clientId: client.clientId, receiver };
}

/** The next valid logout token for this account after `from`, validated per §2.6. */
async function logoutTokenFor(app: TestApp, rp: Rp, accountId: string, from: number, timeoutMs = 10_000) {
  const token = await rp.receiver.waitFor(async (candidate) => {
    const claims = await validateLogoutToken(candidate, { issuer: app.issuer, clientId: rp.clientId });
    return claims.sub === accountId;
  }, { from, timeoutMs });
  return validateLogoutToken(token, { issuer: app.issuer, clientId: rp.clientId });
}

async function signedInUser(app: TestApp, rp: Rp, name: string) {
  const email = uniqueEmail(name);
  const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
  const browser = new Browser();
  const tokens = await exchangeCode(rp.config, await signIn(browser, rp.config, { email, password: PASSWORD }));
  return { email, user, browser, tokens };
}

describe('back-channel logout after each kind of session end', () => {
  let app: TestApp;
  let rp: Rp;

  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('fast', FAST) } });
    rp = await registerRp(app, await startBackchannelReceiver());
  });
  afterAll(async () => {
    await app?.close();
    await rp?.receiver.stop();
  });

  it('advertises back-channel logout and accepts only sound backchannel_logout_uri values', async () => {
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery.backchannel_logout_supported).toBe(true);
    expect(discovery.backchannel_logout_session_supported).toBe(true);
    await expect(app.context.clients.register({ name: 'Bad', redirectUris: [RP_REDIRECT_URI], backchannelLogoutUri: 'http://rp.example.test/logout' }))
      .rejects.toThrow(/backchannel_logout_uri: .* use https/);
    await expect(app.context.clients.register({ name: 'Bad', redirectUris: [RP_REDIRECT_URI], backchannelLogoutUri: 'https://rp.example.test/logout#x' }))
      .rejects.toThrow(/fragment/);
  });

  it('RP-initiated logout (end_session) goes through the outbox', async () => {
    const { user, browser, tokens } = await signedInUser(app, rp, 'rp-initiated');
    const from = rp.receiver.tokens.length;
    const follow = { followOrigins: [app.issuer] };
    const logout = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: RP_POST_LOGOUT_REDIRECT_URI });
    const signedOut = await browser.submit(await browser.get(logout.href, follow), { button: 'Sign out', ...follow });
    expect(signedOut.location).toMatch(new RegExp(`^${RP_POST_LOGOUT_REDIRECT_URI}`));
    const claims = await logoutTokenFor(app, rp, user.id, from);
    expect(claims.sid).toBe(tokens.claims()!.sid);
    const rows = await app.context.database.query<{ reason: string; status: string }>('SELECT reason, status FROM logout_deliveries WHERE account_id = $1', [user.id]);
    expect(rows.rows).toEqual([{ reason: 'logout', status: 'delivered' }]);
  });

  it('signing out another device and everywhere else on /account/sessions', async () => {
    const first = await signedInUser(app, rp, 'devices');
    const second = new Browser();
    await exchangeCode(rp.config, await signIn(second, rp.config, { email: first.email, password: PASSWORD }));
    const mine = new Browser();
    const page = await openAccountPage(app, mine, '/account/sessions', first.email);
    const from = rp.receiver.tokens.length;
    const firstSid = first.tokens.claims()!.sid;
    const row = /<li data-session="([^"]+)">[\s\S]*?<\/li>/g;
    expect([...page.body.matchAll(row)]).toHaveLength(3);
    await mine.submit(page, { button: 'Sign out everywhere else' });
    const sids = new Set<unknown>();
    for (let seen = from; sids.size < 2; seen += 1) {
      const claims = await logoutTokenFor(app, rp, first.user.id, seen);
      sids.add(claims.sid);
    }
    expect(sids.has(firstSid)).toBe(true);
  });

  it('a password change (other sessions), a password reset and a deactivation', async () => {
    const { email, user } = await signedInUser(app, rp, 'password');
    const mine = new Browser();
    const form = await openAccountPage(app, mine, '/account/password', email);
    let from = rp.receiver.tokens.length;
    await mine.submit(form, { button: 'Change password', fields: { currentPassword: PASSWORD, password: NEW_PASSWORD } });
    await logoutTokenFor(app, rp, user.id, from);

    const other = await signedInUser(app, rp, 'reset');
    from = rp.receiver.tokens.length;
    const browser = new Browser();
    const forgot = await browser.get(`${app.issuer}/account/forgot-password`);
    await browser.submit(forgot, { button: 'Send the reset link', fields: { email: other.email } });
    const reset = await browser.get(await linkFromMail(app, other.email, 'Reset your password', '/account/reset-password'));
    await browser.submit(reset, { button: 'Change password', fields: { password: NEW_PASSWORD } });
    await logoutTokenFor(app, rp, other.user.id, from);

    const closing = await signedInUser(app, rp, 'deactivate');
    from = rp.receiver.tokens.length;
    const closer = new Browser();
    const closePage = await openAccountPage(app, closer, '/account/close', closing.email);
    await closer.submit(closePage, { button: 'Deactivate account', fields: { currentPassword: PASSWORD } });
    await logoutTokenFor(app, rp, closing.user.id, from);
  });

  it('a receiver that is down at first gets the token once it is back; the status shows the retries', async () => {
    const down = await startBackchannelReceiver();
    const flaky = await registerRp(app, down, 'Flaky');
    const { user } = await signedInUser(app, flaky, 'flaky');
    await down.stop();
    const mine = new Browser();
    const page = await openAccountPage(app, mine, '/account/sessions', (await app.context.users.findById(user.id))!.email);
    await mine.submit(page, { button: 'Sign out everywhere else' });
    const deadline = Date.now() + 10_000;
    let status: { attempts: number; status: string; last_error: string | null } | undefined;
    while (Date.now() < deadline) {
      status = (await app.context.database.query<{ attempts: number; status: string; last_error: string | null }>(
        'SELECT attempts, status, last_error FROM logout_deliveries WHERE client_id = $1', [flaky.clientId])).rows[0];
      if (status && status.attempts >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toMatchObject({ status: 'pending' });
    expect(status!.last_error).toMatch(/ECONNREFUSED|connect/);
    await down.start();
    await logoutTokenFor(app, flaky, user.id, 0);
    await down.stop();
  });
});

describe('the outbox survives a restart', () => {
  it('a notice queued while the receiver is down is delivered by the next process', async () => {
    const testDatabase = await createTestDatabase('pglite');
    const receiver = await startBackchannelReceiver();
    const env = { SETTINGS_FILE: settings.file('restart', FAST) };
    const first = await startTestApp({ testDatabase, env });
    let app: TestApp = first;
    try {
      const rp = await registerRp(app, receiver);
      const { user } = await signedInUser(app, rp, 'restart');
      await receiver.stop();
      const mine = new Browser();
      const page = await openAccountPage(app, mine, '/account/sessions', (await app.context.users.findById(user.id))!.email);
      await mine.submit(page, { button: 'Sign out everywhere else' });
      await app.close();
      await receiver.start();
      app = await startTestApp({ testDatabase, env, secrets: first.secrets });
      const token = await receiver.waitFor(() => true);
      // The new process has a new issuer URL (a new port) but the same keys.
      await validateLogoutToken(token, { issuer: app.issuer, clientId: rp.clientId });
    } finally {
      await app.close();
      await receiver.stop();
      await testDatabase.close();
    }
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('gatehouse sessions revoke (admin force logout)', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let rp: Rp;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-sessions-cli-'));

  beforeAll(async () => {
    app = await startTestApp({ kind: 'postgres', env: { SETTINGS_FILE: settings.file('fast-pg', FAST) } });
    rp = await registerRp(app, await startBackchannelReceiver());
  });
  afterAll(async () => {
    await app?.close();
    await rp?.receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists sessions, revokes one by id and then all, audited, and the apps hear of each', { timeout: 60_000 }, async () => {
    const { email, user } = await signedInUser(app, rp, 'admin');
    const second = new Browser();
    await signIn(second, rp.config, { email, password: PASSWORD });
    const env = cliEnvironment(dataDir, { DATABASE_URL: app.testDatabase.url!, ENCRYPTION_KEY: app.secrets.encryptionKey, SETTINGS_FILE: settings.file('fast-pg', FAST) });

    const usage = await runCli(['sessions', 'revoke', '--email', email], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--all or --session ID is required');

    const listed = await runCli(['sessions', 'list', '--email', email, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const sessions = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { session: string; clients: string[] });
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.clients).toEqual([rp.clientId]);

    let from = rp.receiver.tokens.length;
    const one = await runCli(['sessions', 'revoke', '--email', email, '--session', sessions[1]!.session], env);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('ended 1 session');
    await logoutTokenFor(app, rp, user.id, from);

    from = rp.receiver.tokens.length;
    const all = await runCli(['sessions', 'revoke', '--email', email, '--all'], env);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('ended 1 session');
    await logoutTokenFor(app, rp, user.id, from);

    const audit = await app.context.audit.query({ accountId: user.id, type: 'session.ended', since: new Date(Date.now() - 60_000), limit: 10 });
    expect(audit.events.map((event) => event.detail.reason)).toEqual(['admin', 'admin']);

    const deliveries = await runCli(['logout-deliveries', '--since', '1h'], env);
    expect(deliveries.code, deliveries.stderr).toBe(0);
    expect(deliveries.stdout).toMatch(new RegExp(`${rp.clientId}\\s+0\\s+\\d+\\s+0`));
  });

  it('keeps an offline grant with --all, and revokes every grant and token with --all --revoke-grants', { timeout: 60_000 }, async () => {
    const email = uniqueEmail('compromised');
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const tokens = await exchangeCode(rp.config, await signIn(new Browser(), rp.config, {
      email, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' },
    }));
    const env = cliEnvironment(dataDir, { DATABASE_URL: app.testDatabase.url!, ENCRYPTION_KEY: app.secrets.encryptionKey, SETTINGS_FILE: settings.file('fast-pg', FAST) });

    const misused = await runCli(['sessions', 'revoke', '--email', email, '--session', 'abc', '--revoke-grants'], env);
    expect(misused.code).toBe(2);
    expect(misused.stderr).toContain('--revoke-grants goes with --all');

    expect((await runCli(['sessions', 'revoke', '--email', email, '--all'], env)).stdout).toContain('ended 1 session');
    expect((await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).access_token).toEqual(expect.any(String));

    const revoked = await runCli(['sessions', 'revoke', '--email', email, '--all', '--revoke-grants'], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('revoked 1 grant of');
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    const audit = await app.context.audit.query({ accountId: user.id, type: 'admin.user_changed', since: new Date(Date.now() - 60_000), limit: 5 });
    expect(audit.events[0]?.detail).toMatchObject({ action: 'grants_revoked', grants: 1, by: 'admin-cli' });
  });
});
