// Back-channel logout deliveries to different apps are independent: an app that never answers
// holds only its own share of the outbox worker, and an app that answers 500 is retried on its
// own, while a healthy app hears of the logout at once (OpenID Back-Channel Logout 1.0 §2.7).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, uniqueEmail } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { openAccountPage, SESSION_TEST_PASSWORD, startBackchannelReceiver, validateLogoutToken, type BackchannelReceiver } from '../helpers/sessions.js';
import { discoverIssuer, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const settings = createSettingsFiles('gh-backchannel-slow-');
afterAll(() => settings.remove());
// The hanging app's attempt would run for a whole minute: long past every wait below, so a
// healthy notice that queued behind it could not arrive in time.
const SLOW_APPS = {
  sessions: {
    backchannelLogout: {
      allowPrivateAddresses: true, pollIntervalMs: 100, baseDelaySeconds: 1, maxDelaySeconds: 1, timeoutMs: 60_000,
      batchSize: 3, perClientConcurrency: 1,
    },
  },
};

/** An app whose logout endpoint answers with `status`, or never when `status` is undefined. */
async function startStubbornApp(status: number | undefined) {
  const open = new Set<ServerResponse>();
  let received = 0;
  const server: Server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    received += 1;
    if (status !== undefined) res.writeHead(status).end();
    else open.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`;
  return {
    uri,
    get received() { return received; },
    get waiting() { return open.size; },
    async stop() {
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a slow or failing app never delays another app\'s logout token', () => {
  let app: TestApp;
  let hanging: Awaited<ReturnType<typeof startStubbornApp>>;
  let failing: Awaited<ReturnType<typeof startStubbornApp>>;
  let healthy: BackchannelReceiver;

  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('slow', SLOW_APPS) } });
    [hanging, failing, healthy] = await Promise.all([startStubbornApp(undefined), startStubbornApp(500), startBackchannelReceiver()]);
  });
  afterAll(async () => {
    // Closing the hanging app first ends its attempt, so the app stops without waiting a minute.
    await hanging?.stop();
    await app?.close();
    await failing?.stop();
    await healthy?.stop();
  });

  async function registerApp(name: string, backchannelLogoutUri: string) {
    const client = await app.context.clients.register({
      name, redirectUris: [RP_REDIRECT_URI], postLogoutRedirectUris: [RP_POST_LOGOUT_REDIRECT_URI], backchannelLogoutUri,
    });
    return { clientId: client.clientId, config: await discoverIssuer(app.issuer, client.clientId, client.clientSecret!) };
  }

  it('delivers to the healthy app while the hanging app\'s attempts are still open', async () => {
    const hangingApp = await registerApp('Hangs', hanging.uri);
    const failingApp = await registerApp('Fails', failing.uri);
    const healthyApp = await registerApp('Healthy', healthy.uri);
    const email = uniqueEmail('slow-apps');
    const user = await app.context.users.create({ email, password: SESSION_TEST_PASSWORD, emailVerified: true });
    const credentials = { email, password: SESSION_TEST_PASSWORD };

    // First more notices for the hanging app than the worker has slots: they must not take them all.
    for (let session = 0; session < 4; session += 1) await signIn(new Browser(), hangingApp.config, credentials);
    const firstAccountPage = new Browser();
    await firstAccountPage.submit(await openAccountPage(app, firstAccountPage, '/account/sessions', email), { button: 'Sign out everywhere else' });
    await until(() => hanging.waiting >= 1, 'the hanging app is sent its first notice');

    // Then one session signed in to all three apps ends.
    const browser = new Browser();
    for (const rp of [hangingApp, failingApp]) await signIn(browser, rp.config, credentials);
    await signIn(browser, healthyApp.config, credentials);
    const from = healthy.tokens.length;
    const accountPage = new Browser();
    await accountPage.submit(await openAccountPage(app, accountPage, '/account/sessions', email), { button: 'Sign out everywhere else' });

    await healthy.waitFor(async (candidate) => {
      const claims = await validateLogoutToken(candidate, { issuer: app.issuer, clientId: healthyApp.clientId });
      return claims.sub === user.id;
    }, { from, timeoutMs: 15_000 });
    await until(() => failing.received >= 1, 'the failing app is tried');
    // The hanging app still holds its one slot and nothing more: its other notices wait their turn.
    expect(hanging.waiting).toBe(1);
    expect(hanging.received).toBe(1);
    await until(async () => {
      const rows = await app.context.database.query<{ status: string; last_error: string | null }>(
        'SELECT status, last_error FROM logout_deliveries WHERE client_id = $1', [failingApp.clientId]);
      return rows.rows.some((row) => row.status === 'pending' && /got 500/.test(row.last_error ?? ''));
    }, 'the failing app\'s notice waits for a retry with its error');
  });
});
