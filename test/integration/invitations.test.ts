// Invitations for registration.policy "invite-only": the admin CLI mails a link, the link opens the
// registration form for that address only, once, and the account starts verified.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Browser } from '../helpers/browser.js';
import { createSettingsFiles, emailVerified, linkFromMail, relyingParty } from '../helpers/accounts.js';
import { cliEnvironment, runCli } from '../helpers/gatehouse-process.js';
import { latestMailTo } from '../helpers/outbox.js';
import { signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const settings = createSettingsFiles('gh-invitations-');
afterAll(() => settings.remove());

const INVITATION_SUBJECT = 'You are invited to create an account';

describe('invite-only registration', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('invite-only', { registration: { policy: 'invite-only' } }) } });
  });
  afterAll(async () => { await app?.close(); });

  it('refuses the plain form, and registers the invited address once from the link, verified', async () => {
    const plain = await new Browser().get(`${app.issuer}/account/register`);
    expect(plain.status).toBe(403);
    expect(plain.body).toContain('Registration is by invitation only.');

    const email = 'invited@example.test';
    await app.context.invitations.invite(email, 'Ada from Accounts');
    const link = await linkFromMail(app, email, INVITATION_SUBJECT, '/account/register', 'invitation');
    expect(latestMailTo(app.config.mail.outboxDir, email)?.text).toContain('Ada from Accounts invited you');

    const browser = new Browser();
    const form = await browser.get(link);
    expect(form.status).toBe(200);
    expect(form.body).toContain(`value="${email}" readonly`);
    // A weak password keeps the invitation usable and what was typed.
    const weak = await browser.submit(form, { button: 'Create account', fields: { name: 'Invited Person', password: 'password' } });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('value="Invited Person"');
    // The address comes from the invitation, not from the (read-only) field.
    const done = await browser.submit(form, { button: 'Create account', fields: { name: 'Invited Person', password: PASSWORD, email: 'someone.else@example.test' } });
    expect(new URL(done.url).pathname).toBe('/account/register/done');
    expect(await emailVerified(app, email)).toBe(true);
    expect((await app.context.database.query('SELECT 1 FROM users WHERE email = $1', ['someone.else@example.test'])).rowCount).toBe(0);

    const again = await new Browser().get(link);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This invitation link has expired, was already used, or is incomplete.');
    const replay = await browser.submit(form, { button: 'Create account', fields: { name: 'Second', password: PASSWORD } });
    expect(replay.status).toBe(400);

    const rp = await relyingParty(app);
    await signIn(new Browser(), rp, { email, password: PASSWORD, scope: 'openid' });
  });

  it('makes one account from two concurrent uses of one invitation', async () => {
    const email = 'race@example.test';
    await app.context.invitations.invite(email);
    const link = await linkFromMail(app, email, INVITATION_SUBJECT, '/account/register', 'invitation');
    const browsers = [new Browser(), new Browser()];
    const forms = await Promise.all(browsers.map((browser) => browser.get(link)));
    const results = await Promise.all(browsers.map((browser, index) =>
      browser.submit(forms[index]!, { button: 'Create account', fields: { name: `Racer ${index}`, password: PASSWORD } })));
    expect(results.map((page) => page.status).sort()).toEqual([200, 400]);
    expect((await app.context.database.query('SELECT 1 FROM users WHERE lower(email) = $1', [email])).rowCount).toBe(1);
  });

  it('refuses to invite an address that already has an account', async () => {
    await app.context.users.create({ email: 'member@example.test', password: PASSWORD, emailVerified: true });
    await expect(app.context.invitations.invite('MEMBER@example.test')).rejects.toThrow(/already exists/);
  });
});

describe('gatehouse users invite / activate / unlock', () => {
  let dataDir: string;
  beforeAll(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-invite-cli-')); });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('mails an invitation from the command line and reactivates a deactivated account', { timeout: 60_000 }, async () => {
    const env = cliEnvironment(dataDir);
    const invited = await runCli(['users', 'invite', '--email', 'cli.invite@example.test', '--from', 'The admins'], env);
    expect(invited.stderr).toBe('');
    expect(invited.stdout).toMatch(/^invited <cli\.invite@example\.test>; the link expires \d{4}-/);
    // The mail as the CLI wrote it: its outbox and its links' origin come from the same environment.
    const config = loadConfig({ env, notice: () => undefined });
    await linkFromMail({ issuer: config.issuer, config }, 'cli.invite@example.test', INVITATION_SUBJECT, '/account/register', 'invitation');

    const bad = await runCli(['users', 'invite', '--email', 'not an address'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gatehouse: users invite: --email "not an address" is not a valid email address\n$/);

    const added = await runCli(['users', 'add', '--email', 'sleeper@example.test', '--password', PASSWORD], env);
    expect(added.code, added.stderr).toBe(0);
    const unknown = await runCli(['users', 'activate', '--email', 'nobody@example.test'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('gatehouse: no user with email nobody@example.test\n');
    const unlocked = await runCli(['users', 'unlock', '--email', 'sleeper@example.test'], env);
    expect(unlocked.stderr).toBe('');
    expect(unlocked.stdout).toMatch(/^was not locked: user [0-9a-f-]{36} <sleeper@example\.test>\n$/);
    const activated = await runCli(['users', 'activate', '--email', 'sleeper@example.test'], env);
    expect(activated.stderr).toBe('');
    expect(activated.stdout).toMatch(/^activated user [0-9a-f-]{36} <sleeper@example\.test>\n$/);

    // Every admin change above is in the audit trail.
    const client = await runCli(['clients', 'add', '--name', 'Batch', '--grant', 'client_credentials', '--json'], env);
    expect(client.code, client.stderr).toBe(0);
    const clientId = (JSON.parse(client.stdout) as { client_id: string }).client_id;
    const audit = await runCli(['audit', '--since', '1h', '--json', '--limit', '100'], env);
    expect(audit.code, audit.stderr).toBe(0);
    const rows = audit.stdout.trim().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const types = rows.map((row) => `${String(row.type)} ${String(row.email ?? row.client_id ?? '')}`);
    expect(types).toEqual(expect.arrayContaining([
      'admin.user_changed sleeper@example.test', 'account.unlocked sleeper@example.test', 'account.reactivated sleeper@example.test',
      `admin.client_changed ${clientId}`,
    ]));
    expect(audit.stdout).not.toContain(PASSWORD);
  });
});
