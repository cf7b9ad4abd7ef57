// A full run of flows at the most verbose log level, then every log line is
// searched for every password, code, token, cookie value and secret the run used. None may appear.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { linkFromMail, relyingParty, signInOffline } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another entirely different passphrase';
const THIRD_PASSWORD = 'a third quite different passphrase';

describe('nothing secret reaches the log', () => {
  const captured = captureLogger('trace');
  let app: TestApp & { secrets: { encryptionKey: string; cookieSecrets: string } };
  const secrets = new Set<string>();
  const remember = (...values: (string | undefined | null)[]) => {
    for (const value of values) if (value && value.length >= 8) secrets.add(value);
  };

  beforeAll(async () => { app = await startTestApp({ logger: captured.logger }); });
  afterAll(async () => { await app?.close(); });

  it('runs registration, verification, sign-in, tokens, a wrong password, a reset and a change without logging a secret', async () => {
    remember(PASSWORD, NEW_PASSWORD, THIRD_PASSWORD, app.secrets.encryptionKey, app.secrets.cookieSecrets);
    const email = 'quiet@example.test';
    const browser = new Browser();

    const form = await browser.get(`${app.issuer}/account/register`);
    await browser.submit(form, { button: 'Create account', fields: { email, name: 'Quiet Person', password: PASSWORD } });
    const verifyLink = await linkFromMail(app, email, 'Confirm your email address', '/account/verify-email');
    remember(new URL(verifyLink).searchParams.get('token'));
    const confirm = await browser.get(verifyLink);
    await browser.submit(confirm, { button: 'Confirm email address' });

    const rp = await relyingParty(app);
    const client = rp.clientMetadata();
    remember(client.client_secret as string);
    const tokens = await signInOffline(browser, rp, email, PASSWORD);
    remember(tokens.access_token, tokens.refresh_token, tokens.id_token);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    remember(refreshed.access_token, refreshed.refresh_token, refreshed.id_token);
    await oidc.fetchUserInfo(rp, refreshed.access_token, oidc.skipSubjectCheck);
    await oidc.tokenIntrospection(rp, refreshed.access_token);
    await oidc.tokenRevocation(rp, refreshed.refresh_token!);

    const wrong = new Browser();
    await expect(signInOffline(wrong, rp, email, 'a wrong password guess')).rejects.toThrow();
    remember('a wrong password guess');

    const forgot = await browser.get(`${app.issuer}/account/forgot-password`);
    await browser.submit(forgot, { button: 'Send the reset link', fields: { email } });
    const resetLink = await linkFromMail(app, email, 'Reset your password', '/account/reset-password');
    remember(new URL(resetLink).searchParams.get('token'));
    const resetForm = await browser.get(resetLink);
    await browser.submit(resetForm, { button: 'Change password', fields: { password: NEW_PASSWORD } });

    const account = new Browser();
    let page = await account.get(`${app.issuer}/account/password`);
    page = await account.submit(page, { button: 'Sign in', fields: { email, password: NEW_PASSWORD } });
    await account.submit(page, { button: 'Change password', fields: { currentPassword: NEW_PASSWORD, password: THIRD_PASSWORD } });

    for (const jar of [browser, wrong, account]) {
      for (const value of Object.values(jar.cookiesFor(`${app.issuer}/account/`))) remember(value);
      for (const value of Object.values(jar.cookiesFor(`${app.issuer}/interaction/x`))) remember(value);
      for (const value of Object.values(jar.cookiesFor(`${app.issuer}/`))) remember(value);
    }
    // Authorization codes travel in the redirects this run followed.
    for (const visited of [...browser.history, ...wrong.history]) {
      const url = new URL(visited.location ?? visited.url);
      remember(url.searchParams.get('code'));
    }

    expect(captured.lines.length).toBeGreaterThan(5);
    const log = captured.lines.join('\n');
    const leaked = [...secrets].filter((secret) => log.includes(secret));
    expect(leaked).toEqual([]);
    expect(secrets.size).toBeGreaterThan(15);
  });
});
