// A refresh that fails while Redis is away (killed, blackholed or slowed past the command timeout)
// must not spend the refresh token: once Redis is back, the same token refreshes.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relyingParty, signInOffline } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const EMAIL = 'ada@example.test';
const PASSWORD = 'signed in through a storage blip';

describe.runIf(Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL))('refresh during a Redis fault', () => {
  let proxy: TcpProxy;
  let app: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    const target = new URL(process.env.TEST_REDIS_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    app = await startTestApp({ kind: 'postgres', redis: { url: `redis://127.0.0.1:${proxy.port}` } });
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true });
    rp = await relyingParty(app);
  });
  afterAll(async () => {
    await proxy?.heal();
    await app?.close();
    await proxy?.close();
  });

  const refreshRequest = (refreshToken: string) => {
    const { client_id: clientId } = rp.clientMetadata();
    const secret = rp.clientMetadata().client_secret as string;
    return fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
  };

  async function waitUntilReady(): Promise<void> {
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt += 1) {
      status = (await fetch(`${app.issuer}/readyz`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  }

  const faults: [string, (proxy: TcpProxy) => Promise<void> | void, (proxy: TcpProxy) => Promise<void> | void][] = [
    ['killed', (p) => p.stop(), (p) => p.start()],
    ['blackholed', (p) => p.blackhole(), (p) => p.heal()],
    // Well past the app's Redis command timeout (2 s in tests).
    ['slowed', (p) => p.slow(5000), (p) => p.heal()],
  ];

  it.each(faults)('keeps the refresh token usable when Redis is %s during the refresh', { timeout: 60_000 }, async (_name, breakRedis, repairRedis) => {
    const tokens = await signInOffline(new Browser(), rp, EMAIL, PASSWORD);
    await breakRedis(proxy);
    const failed = await refreshRequest(tokens.refresh_token!);
    await repairRedis(proxy);
    expect(failed.status, await failed.clone().text()).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(((await failed.json()) as { error: string }).error).toBe('temporarily_unavailable');
    await waitUntilReady();

    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect((await oidc.tokenIntrospection(rp, refreshed.access_token)).active).toBe(true);
    // Rotation still holds: the token just used is now spent.
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
