// The admin console in real Chromium (Debian's, through playwright-core): signing in through
// Gatehouse itself, the role checked on every request, each page state checked with axe-core,
// forms that work without JavaScript, and what the console's actions do to the protocol.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSettingsFiles } from '../helpers/accounts.js';
import { Browser as TestBrowser } from '../helpers/browser.js';
import { ADMIN_TEST_PASSWORD, createAdmin } from '../helpers/admin.js';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startBackchannelReceiver } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { settleStep, STEP_MS, totpCode } from '../helpers/totp.js';
import { waitFor } from '../helpers/wait-for.js';

// A real browser on a shared two-core machine: each test walks several pages.
vi.setConfig({ testTimeout: 90_000 });

const ADMIN_EMAIL = 'console-admin@example.com';
// A rotated secret's predecessor works this long: short, so the test sees it stop.
const OVERLAP_SECONDS = 3;
const settings = createSettingsFiles('gh-console-');

let app: TestApp;
let chromium: Browser;

beforeAll(async () => {
  const env = {
    SETTINGS_FILE: settings.file('console', {
      clients: { secretRotationOverlapSeconds: OVERLAP_SECONDS },
      // One attempt, then failed for good; polled often so the test does not wait.
      sessions: { backchannelLogout: { allowPrivateAddresses: true, pollIntervalMs: 100, maxAttempts: 1, baseDelaySeconds: 1, maxDelaySeconds: 1, timeoutMs: 1000 } },
    }),
  };
  [app, chromium] = await Promise.all([startTestApp({ env }), launchChromium()]);
  await createAdmin(app, ADMIN_EMAIL);
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
  settings.remove();
});

/** A fresh browser profile (like a private window), optionally without JavaScript. */
async function newPerson(options: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true });
  return { context, page: await context.newPage() };
}

async function heading(page: Page): Promise<string | null> {
  return page.getByRole('heading', { level: 1 }).textContent();
}

/** Opens /admin and signs in on Gatehouse's own sign-in page, which returns to the console. */
async function signInToConsole(page: Page, email: string, path = '/admin'): Promise<void> {
  await page.goto(`${app.issuer}${path}`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(ADMIN_TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/admin'));
}

describe('signing in', () => {
  test('a non-admin gets 403 with the reason and whom to ask; nothing of the console shows', async () => {
    await app.context.users.create({ email: 'not-admin@example.com', password: ADMIN_TEST_PASSWORD, emailVerified: true });
    const { context, page } = await newPerson();
    const responses: number[] = [];
    page.on('response', (response) => { if (new URL(response.url()).pathname === '/admin') responses.push(response.status()); });
    await signInToConsole(page, 'not-admin@example.com');
    expect(responses.at(-1)).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('You are not an admin');
    const main = await page.locator('main').innerText();
    expect(main).toContain('does not have the admin role');
    expect(main).toContain('npx gatehouse users roles --email not-admin@example.com --add admin');
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
    await expectNoAxeViolations(page);
    await context.close();
  });

  test('an admin signs in without a consent page and lands on the dashboard; its pages pass axe', async () => {
    const { context, page } = await newPerson();
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(new URL(frame.url()).pathname));
    await signInToConsole(page, ADMIN_EMAIL);
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(visited.filter((path) => path.startsWith('/interaction/'))).toHaveLength(1);
    expect(await page.locator('main').innerText()).toMatch(/Users\s+\d+/);
    await expectNoAxeViolations(page);
    for (const [path, heading] of [['/admin/keys', 'Signing keys'], ['/admin/audit?type=login.success', 'Audit trail'], ['/admin/clients', 'Clients']] as const) {
      await page.goto(`${app.issuer}${path}`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      await expectNoAxeViolations(page);
    }
    expect(await page.locator('main').innerText()).not.toContain('no such');
    await context.close();
  });
  test('the role and the account are read on every request: a role taken away gives 403 at once, a disabled admin is signed out', async () => {
    const email = 'fleeting-admin@example.com';
    const id = await createAdmin(app, email);
    const { context, page } = await newPerson();
    await signInToConsole(page, email, '/admin/keys');
    expect(await heading(page)).toBe('Signing keys');
    const actor = { by: 'admin-cli' };
    await app.context.userAdmin.setRole(id, 'admin', false, actor);
    expect((await page.goto(`${app.issuer}/admin/keys`))!.status()).toBe(403);
    await app.context.userAdmin.setRole(id, 'admin', true, actor);
    expect((await page.goto(`${app.issuer}/admin/keys`))!.status()).toBe(200);
    await app.context.userAdmin.disable(id, actor);
    await page.goto(`${app.issuer}/admin/keys`);
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    await context.close();
  });
});

describe('clients', () => {
  test('an admin registers a client, copies its secret once, and an openid-client RP completes a code flow with it', async () => {
    const { context, page } = await newPerson();
    await signInToConsole(page, ADMIN_EMAIL, '/admin/clients/new');
    await expectNoAxeViolations(page);
    // A refused redirect URI comes back beside its field, with what was typed kept.
    await page.getByLabel('Name', { exact: true }).fill('Notebook');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://example.com/callback');
    await page.getByRole('button', { name: 'Register the client' }).click();
    expect(await page.locator('#redirectUris-error').innerText()).toContain('redirect_uris');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Notebook');
    await expectNoAxeViolations(page);

    await page.getByLabel('Redirect URIs', { exact: true }).fill(RP_REDIRECT_URI);
    await page.getByRole('button', { name: 'Register the client' }).click();
    const clientId = (await page.locator('#client-id').innerText()).trim();
    const clientSecret = (await page.locator('#client-secret').innerText()).trim();
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // With JavaScript the copy buttons appear (a same-origin script file; the CSP allows nothing inline).
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(2);
    await expectNoAxeViolations(page);

    const rp = await discoverIssuer(app.issuer, clientId, clientSecret);
    const tokens = await exchangeCode(rp, await signIn(new TestBrowser(), rp, { email: ADMIN_EMAIL, password: ADMIN_TEST_PASSWORD }));
    expect(tokens.claims()?.aud).toBe(clientId);

    await page.goto(`${app.issuer}/admin/clients`);
    await page.getByRole('link', { name: 'Notebook' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Notebook');
    expect(await page.locator('main').innerText()).not.toContain(clientSecret);
    await expectNoAxeViolations(page);

    // Rotation asks first, shows the new secret once, and the old one works only during the overlap.
    await page.getByRole('link', { name: 'Rotate the client secret' }).click();
    expect(await heading(page)).toBe('Rotate the client secret?');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Rotate the secret' }).click();
    const rotatedAt = Date.now();
    const newSecret = (await page.locator('#client-secret').innerText()).trim();
    expect(newSecret).not.toBe(clientSecret);
    expect(await page.locator('main').innerText()).toContain('The previous secret keeps working until');
    await expectNoAxeViolations(page);
    const rotatedRp = await discoverIssuer(app.issuer, clientId, newSecret);
    const token = tokens.access_token;
    expect((await oidc.tokenIntrospection(rp, token)).active).toBe(true);
    expect((await oidc.tokenIntrospection(rotatedRp, token)).active).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, rotatedAt + OVERLAP_SECONDS * 1000 + 500 - Date.now()));
    await expect(oidc.tokenIntrospection(rp, token)).rejects.toMatchObject({ status: 401, cause: [{ parameters: { error: 'invalid_client' } }] });
    expect((await oidc.tokenIntrospection(rotatedRp, token)).active).toBe(true);
    await context.close();
  });

  test('a client\'s settings are saved; deleting it asks for its name to be typed, then it is gone', async () => {
    const registered = await app.context.clients.register({ name: 'Old app', redirectUris: [RP_REDIRECT_URI] });
    const { context, page } = await newPerson();
    await signInToConsole(page, ADMIN_EMAIL, `/admin/clients/${registered.clientId}`);
    await page.getByLabel('Post-logout redirect URIs (optional)').fill('https://rp.example.test/signed-out');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The settings were saved.');
    expect((await app.context.clients.show(registered.clientId)).metadata.post_logout_redirect_uris).toEqual(['https://rp.example.test/signed-out']);
    await page.getByRole('link', { name: 'Delete this client' }).click();
    await page.getByLabel('Type Old app to confirm').fill('Old');
    await page.getByRole('button', { name: 'Delete the client for good' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('Type the client\'s name, Old app, exactly');
    await expectNoAxeViolations(page);
    expect((await app.context.clients.list()).some((client) => client.clientId === registered.clientId)).toBe(true);
    await page.getByLabel('Type Old app to confirm').fill('Old app');
    await page.getByRole('button', { name: 'Delete the client for good' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The client was deleted');
    expect((await app.context.clients.list()).some((client) => client.clientId === registered.clientId)).toBe(false);
    await context.close();
  });

  test('without JavaScript the form still registers a client, and the secret is there to select', async () => {
    const { context, page } = await newPerson({ javaScriptEnabled: false });
    await signInToConsole(page, ADMIN_EMAIL, '/admin/clients/new');
    await page.getByLabel('Name', { exact: true }).fill('Batch job');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('');
    await page.getByLabel('authorization_code').uncheck();
    await page.getByLabel('refresh_token').uncheck();
    await page.getByLabel('client_credentials').check();
    await page.getByRole('button', { name: 'Register the client' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Client registered');
    expect((await page.locator('#client-secret').innerText()).trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(0);
    await context.close();
  });
});

describe('users', () => {
  test('an admin disables a signed-in user: their refresh token is refused and their session is gone', async () => {
    const email = 'leaver@example.com';
    const person = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
    const registered = await app.context.clients.register({ name: 'Diary', redirectUris: [RP_REDIRECT_URI] });
    const rp = await discoverIssuer(app.issuer, registered.clientId, registered.clientSecret!);
    const theirBrowser = new TestBrowser();
    const tokens = await exchangeCode(rp, await signIn(theirBrowser, rp, { email, password: ADMIN_TEST_PASSWORD }));
    expect(tokens.refresh_token).toBeTruthy();

    const { context, page } = await newPerson();
    await signInToConsole(page, ADMIN_EMAIL, '/admin/users');
    await page.getByLabel('Email or name').fill('leaver');
    await page.getByRole('button', { name: 'Search' }).click();
    await expectNoAxeViolations(page);
    await page.getByRole('link', { name: email }).click();
    expect(await page.locator('main').innerText()).toContain(registered.clientId);
    await expectNoAxeViolations(page);
    await page.getByRole('link', { name: 'Disable…' }).click();
    expect(await heading(page)).toBe('Disable this account?');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Disable the account' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The account is disabled');
    expect(await page.locator('main').innerText()).toContain('Not signed in anywhere.');
    await expectNoAxeViolations(page);

    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await app.context.sessions.list(person.id)).toEqual([]);
    const silent = await buildAuthorizationRequest(rp, { extraParams: { prompt: 'none' } });
    const answer = await theirBrowser.get(silent.url.href, { followOrigins: [app.issuer] });
    expect(new URL(answer.location!).searchParams.get('error')).toBe('login_required');
    await context.close();
  });

  test('an admin adds a user, and deletes them only once the address is typed', async () => {
    const { context, page } = await newPerson();
    await signInToConsole(page, ADMIN_EMAIL, '/admin/users/new');
    await expectNoAxeViolations(page);
    await page.getByLabel('Email address').fill('temp@example.com');
    await page.getByLabel('Password (to create the account)').fill(ADMIN_TEST_PASSWORD);
    await page.getByLabel('Roles (optional)').fill('support');
    await page.getByRole('button', { name: 'Add the user' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The account was created.');
    expect(await app.context.users.rolesOf((await app.context.users.findByEmail('temp@example.com'))!.id)).toEqual(['support']);

    await page.getByRole('link', { name: 'Delete…' }).click();
    await page.getByLabel('Type temp@example.com to confirm').fill('someone-else@example.com');
    await page.getByRole('button', { name: 'Delete the account for good' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('Type the address temp@example.com exactly');
    await expectNoAxeViolations(page);
    expect(await app.context.users.findByEmail('temp@example.com')).toBeDefined();
    await page.getByLabel('Type temp@example.com to confirm').fill('temp@example.com');
    await page.getByRole('button', { name: 'Delete the account for good' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The account was deleted.');
    expect(await app.context.users.findByEmail('temp@example.com')).toBeUndefined();

    // Not their own account, though: the last admin would lock everyone out.
    const self = (await app.context.users.findByEmail(ADMIN_EMAIL))!;
    await page.goto(`${app.issuer}/admin/users/${self.id}/disable`);
    await page.getByRole('button', { name: 'Disable the account' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('You cannot disable your own account here');
    expect((await app.context.users.findById(self.id))?.status).toBe('active');
    await context.close();
  });
  test('the everyday changes work as plain forms, without JavaScript: profile, email, roles, reset mail, invitation', async () => {
    const email = 'grace@example.com';
    const person = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD });
    const { context, page } = await newPerson({ javaScriptEnabled: false });
    await signInToConsole(page, ADMIN_EMAIL, `/admin/users/${person.id}`);
    const notice = async () => page.getByRole('status').innerText();

    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByRole('button', { name: 'Save the profile' }).click();
    expect(await notice()).toContain('The profile was saved.');
    await page.getByRole('button', { name: 'Mark the email as confirmed' }).click();
    expect(await notice()).toContain('The email address is now marked as confirmed.');
    await page.getByLabel('Grant a role').fill('support');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    expect(await notice()).toContain('The role was granted.');
    expect(await app.context.users.rolesOf(person.id)).toEqual(['support']);
    await page.getByRole('button', { name: 'Take away the role support' }).click();
    expect(await notice()).toContain('The role was taken away.');
    await page.getByRole('button', { name: 'Send a password-reset email' }).click();
    expect(await notice()).toContain('A password-reset email is on its way.');
    expect(await app.context.users.findById(person.id)).toMatchObject({ name: 'Grace Hopper', emailVerified: true });
    expect(await app.context.users.rolesOf(person.id)).toEqual([]);

    await page.goto(`${app.issuer}/admin/users/new`);
    await page.getByLabel('Email an invitation to register').check();
    await page.getByLabel('Email address').fill('newcomer@example.com');
    await page.getByRole('button', { name: 'Add the user' }).click();
    expect(await notice()).toContain('The invitation is on its way.');
    await context.close();
  });
});

describe('back-channel logout deliveries', () => {
  test('a delivery that failed for good is listed and queued again with one button', async () => {
    const down = await startBackchannelReceiver();
    await down.stop();
    const registered = await app.context.clients.register({ name: 'Down app', redirectUris: [RP_REDIRECT_URI], backchannelLogoutUri: down.uri });
    const rp = await discoverIssuer(app.issuer, registered.clientId, registered.clientSecret!);
    const email = 'logged-out@example.com';
    await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
    await exchangeCode(rp, await signIn(new TestBrowser(), rp, { email, password: ADMIN_TEST_PASSWORD }));

    const { context, page } = await newPerson();
    await signInToConsole(page, ADMIN_EMAIL, '/admin/users');
    await page.getByLabel('Email or name').fill(email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: email }).click();
    await page.getByRole('link', { name: 'End every session…' }).click();
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'End every session' }).click();
    expect(await page.getByRole('status').innerText()).toContain('Every session of the account was ended.');

    await waitFor('the delivery to fail', async () => {
      const { deliveries } = await app.context.logoutDeliveryAdmin.list({ status: 'failed', clientId: registered.clientId, since: new Date(0), limit: 1 });
      return deliveries[0];
    });
    await page.goto(`${app.issuer}/admin/deliveries?status=failed&client=${registered.clientId}`);
    expect(await page.locator('main').innerText()).toContain('failed');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: /^Retry the delivery/ }).click();
    expect(await page.getByRole('status').innerText()).toContain('The delivery is queued again');
    const { deliveries } = await app.context.logoutDeliveryAdmin.list({ clientId: registered.clientId, since: new Date(0), limit: 1 });
    expect(deliveries[0]).toMatchObject({ attempts: expect.any(Number) });
    expect(['pending', 'failed']).toContain(deliveries[0]!.status);
    await context.close();
  });
});

describe('two-factor policy for admins', () => {
  let strictApp: TestApp;
  beforeAll(async () => {
    const env = { SETTINGS_FILE: settings.file('admins-2fa', { twoFactor: { policy: { mode: 'optional', requiredForRoles: ['admin'] } } }) };
    strictApp = await startTestApp({ env });
  });
  afterAll(async () => { await strictApp?.close(); });

  test('an admin whose second factor was reset meanwhile is told why the console cannot serve them, and what to do', async () => {
    const email = 'careful-admin@example.com';
    const id = await createAdmin(strictApp, email);
    const secret = (await strictApp.context.twoFactor.beginEnrolment(id, email)).secretText.replace(/ /g, '');
    await settleStep();
    // The previous step's code (still accepted) for enrolment, so that the sign-in's is a fresh one.
    expect(await strictApp.context.twoFactor.confirmEnrolment(id, totpCode(secret, Date.now() - STEP_MS))).toMatchObject({ ok: true });

    const { context, page } = await newPerson();
    await page.goto(`${strictApp.issuer}/admin`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(ADMIN_TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('input[name="code"]').fill(totpCode(secret, Date.now()));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.pathname === '/admin');
    expect(await heading(page)).toBe('Dashboard');

    await strictApp.context.userAdmin.resetTwoFactor(id, { by: 'admin-cli' });
    expect((await page.goto(`${strictApp.issuer}/admin`))!.status()).toBe(403);
    expect(await heading(page)).toBe('Two-factor sign-in is required');
    expect(await page.getByRole('link', { name: 'Set up two-factor sign-in' }).getAttribute('href')).toBe('/account/two-factor');
    await expectNoAxeViolations(page);
    await context.close();
  });
});

describe('roles, groups and app access', () => {
  test('an admin defines and deletes roles, runs a group\'s members and roles, and limits a client to a group; each state passes axe', async () => {
    const member = await app.context.users.create({ email: 'group-member@example.com', password: ADMIN_TEST_PASSWORD, emailVerified: true, roles: ['reader'] });
    const client = await app.context.clients.register({ name: 'Team wiki', redirectUris: [RP_REDIRECT_URI] });
    const { context, page } = await newPerson();
    // Many steps: a missing element should fail its own step, not the whole test's time.
    page.setDefaultTimeout(10_000);
    await signInToConsole(page, ADMIN_EMAIL);

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Roles' }).click();
    expect(await heading(page)).toBe('Roles');
    // The admin role can be described but never deleted from here.
    expect(await page.getByRole('link', { name: 'Delete the role admin' }).count()).toBe(0);
    await page.getByLabel('Name', { exact: true }).fill('Editors');
    await page.getByRole('button', { name: 'Save the role' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('is not a role name');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Editors');
    await expectNoAxeViolations(page);
    await page.getByLabel('Name', { exact: true }).fill('editor');
    await page.getByLabel('Description').fill('Edits the wiki');
    await page.getByRole('button', { name: 'Save the role' }).click();
    expect(await page.getByRole('status').innerText()).toBe('The role was defined.');
    expect(await page.getByRole('row', { name: /editor/ }).innerText()).toMatch(/editor\s+Edits the wiki\s+0\s+0/);
    await expectNoAxeViolations(page);

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByLabel('Name', { exact: true }).fill('wiki-team');
    await page.getByLabel('Roles it holds').fill('editor, publisher');
    await page.getByRole('button', { name: 'Create the group' }).click();
    expect(await heading(page)).toBe('Group wiki-team');
    expect(await page.getByRole('status').innerText()).toBe('The group was created.');
    await page.getByLabel('Add a person by email address').fill('nobody-here@example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('no user nobody-here@example.com');
    await expectNoAxeViolations(page);
    await page.getByLabel('Add a person by email address').fill('Group-Member@example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    expect(await page.getByRole('status').innerText()).toBe('The person was added to the group.');
    await page.getByRole('button', { name: 'Take away the role publisher from the group' }).click();
    expect(await page.getByRole('status').innerText()).toBe('The role was taken away from the group.');
    expect(await page.locator('main').innerText()).toMatch(/group-member@example\.com/);
    await expectNoAxeViolations(page);

    // The person's page shows the group and the roles apps see.
    await page.getByRole('link', { name: 'group-member@example.com' }).click();
    const facts = await page.locator('main').innerText();
    expect(facts).toMatch(/Groups\s+wiki-team/);
    expect(facts).toMatch(/Effective roles\s+editor, reader/);
    await expectNoAxeViolations(page);

    // The client admits only the group; a bad name comes back beside its field.
    await page.goto(`${app.issuer}/admin/clients/${client.clientId}`);
    await page.getByLabel('Required groups (any one)').fill('Wiki Team');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect(await page.locator('#requiredGroups-error').innerText()).toContain('is not a group name');
    await expectNoAxeViolations(page);
    await page.getByLabel('Required groups (any one)').fill('wiki-team');
    await page.getByLabel('Roles the app may see').fill('editor');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The settings were saved.');
    expect((await app.context.clients.show(client.clientId)).metadata).toMatchObject({ required_groups: ['wiki-team'], visible_roles: ['editor'] });
    expect(await page.getByLabel('Required groups (any one)').inputValue()).toBe('wiki-team');

    // Deleting the role asks first; the member then holds only their own role.
    await page.goto(`${app.issuer}/admin/roles`);
    await page.getByRole('link', { name: 'Delete the role editor' }).click();
    expect(await heading(page)).toBe('Delete this role?');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Delete the role' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The role was deleted');
    expect((await app.context.rolesAndGroups.effectiveAccessOf(member.id)).roles).toEqual(['reader']);

    // Deleting the group asks for its name.
    await page.goto(`${app.issuer}/admin/groups/wiki-team`);
    await page.getByRole('link', { name: 'Delete this group' }).click();
    await page.getByLabel('Type wiki-team to confirm').fill('wiki');
    await page.getByRole('button', { name: 'Delete the group for good' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('Type the group\'s name, wiki-team, exactly');
    await page.getByLabel('Type wiki-team to confirm').fill('wiki-team');
    await page.getByRole('button', { name: 'Delete the group for good' }).click();
    expect(await page.getByRole('status').innerText()).toBe('The group was deleted.');
    expect(await app.context.rolesAndGroups.findGroup('wiki-team')).toBeUndefined();

    await app.context.audit.flush();
    const admin = (await app.context.users.findByEmail(ADMIN_EMAIL))!;
    const rows = await app.context.database.query<{ type: string; detail: Record<string, unknown> }>(
      `SELECT type, detail FROM audit_events WHERE type IN ('admin.role_changed', 'admin.group_changed') AND detail->>'by' = $1 ORDER BY occurred_at, id`,
      [`admin:${admin.id}`],
    );
    expect(rows.rows.map((row) => `${row.type}:${String(row.detail.action)}`)).toEqual([
      'admin.role_changed:defined', 'admin.group_changed:created', 'admin.group_changed:member_added', 'admin.group_changed:role_removed',
      'admin.role_changed:deleted', 'admin.group_changed:deleted',
    ]);
    await context.close();
  });

  test('without JavaScript the group forms still work: create a group, add a member, give a role', async () => {
    await app.context.users.create({ email: 'plain-member@example.com', password: ADMIN_TEST_PASSWORD, emailVerified: true });
    const { context, page } = await newPerson({ javaScriptEnabled: false });
    await signInToConsole(page, ADMIN_EMAIL, '/admin/groups');
    await page.getByLabel('Name', { exact: true }).fill('plain');
    await page.getByRole('button', { name: 'Create the group' }).click();
    await page.getByLabel('Add a person by email address').fill('plain-member@example.com');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('Give the group a role').fill('plain-role');
    await page.getByRole('button', { name: 'Give', exact: true }).click();
    expect(await page.getByRole('status').innerText()).toBe('The group now holds the role.');
    expect(await app.context.rolesAndGroups.findGroup('plain')).toMatchObject({ group: { roles: ['plain-role'], members: 1 } });
    await context.close();
  });
});

describe('service accounts and personal access tokens', () => {
  // axe runs as a script in the page: only where the page runs scripts.
  test.each([true, false])('a client_credentials client\'s service account roles are set, refused beside the field, and cleared (JavaScript %s)', async (javaScriptEnabled) => {
    const service = await app.context.clients.register({ name: `Nightly report ${javaScriptEnabled}`, grants: ['client_credentials'], redirectUris: [] });
    const ordinary = await app.context.clients.register({ name: `Web app ${javaScriptEnabled}`, redirectUris: [RP_REDIRECT_URI] });
    const { context, page } = await newPerson({ javaScriptEnabled });
    const checkAccessibility = () => (javaScriptEnabled ? expectNoAxeViolations(page) : Promise.resolve());
    await signInToConsole(page, ADMIN_EMAIL, `/admin/clients/${ordinary.clientId}`);
    // Only a client that gets tokens of its own has a service account to give roles to.
    expect(await page.getByLabel('Service account roles').count()).toBe(0);

    await page.goto(`${app.issuer}/admin/clients/${service.clientId}`);
    const field = page.getByLabel('Service account roles');
    await field.fill('reporter, Not A Role');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect(await page.locator('#serviceRoles-error').innerText()).toContain('is not a role name');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await field.inputValue()).toBe('reporter, Not A Role');
    await checkAccessibility();
    expect((await app.context.clients.show(service.clientId)).metadata.service_roles).toBeUndefined();

    await field.fill('reporter, auditor');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The settings were saved.');
    expect((await app.context.clients.show(service.clientId)).metadata.service_roles).toEqual(['reporter', 'auditor']);
    expect(await field.inputValue()).toBe('reporter, auditor');
    await checkAccessibility();

    // Emptied, the client is an ordinary one again.
    await field.fill('');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    expect(await page.getByRole('status').innerText()).toContain('The settings were saved.');
    expect((await app.context.clients.show(service.clientId)).metadata.service_roles).toBeUndefined();
    await context.close();
  });

  test.each([true, false])('a person\'s personal access tokens are listed without their values and revoked one by one, audited naming the admin (JavaScript %s)', async (javaScriptEnabled) => {
    const email = `token-owner-${javaScriptEnabled}@example.com`;
    const person = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
    const deploy = await app.context.personalTokens.create(person, { name: 'deploy script', scopes: ['roles'], days: 30 });
    const backup = await app.context.personalTokens.create(person, { name: 'backup job', scopes: ['email', 'groups'], days: 7 });
    const admin = (await app.context.users.findByEmail(ADMIN_EMAIL))!;
    const { context, page } = await newPerson({ javaScriptEnabled });
    const checkAccessibility = () => (javaScriptEnabled ? expectNoAxeViolations(page) : Promise.resolve());
    await signInToConsole(page, ADMIN_EMAIL, `/admin/users/${person.id}`);

    const tokens = page.getByRole('table', { name: /Personal access tokens/ });
    const text = await tokens.innerText();
    expect(text).toContain('deploy script');
    expect(text).toContain('email, groups');
    expect(text).toContain('never');
    expect(text).toContain(backup.token.expiresAt.toISOString().slice(0, 10));
    const html = await page.content();
    expect(html).not.toContain(deploy.value);
    expect(html).not.toContain(backup.value);
    await checkAccessibility();

    await page.getByRole('button', { name: /^Revoke the token deploy script/ }).click();
    expect(await page.getByRole('status').innerText()).toContain('The personal access token was revoked');
    const listed = await app.context.personalTokens.list(person.id);
    expect(listed.find((token) => token.id === deploy.token.id)?.revokedAt).not.toBeNull();
    expect(listed.find((token) => token.id === backup.token.id)?.revokedAt).toBeNull();
    expect(await page.getByRole('button', { name: /^Revoke the token deploy script/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Revoke the token backup job/ }).count()).toBe(1);
    await checkAccessibility();
    const { events } = await app.context.audit.query({ accountId: person.id, type: 'personal_token.revoked', since: new Date(Date.now() - 60_000), limit: 10 });
    expect(events.map((event) => event.detail)).toEqual([expect.objectContaining({ id: deploy.token.id, by: `admin:${admin.id}` })]);
    await context.close();
  });
});
