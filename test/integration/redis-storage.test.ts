// With Redis configured, short-lived models live in Redis and durable ones in Postgres: a real
// sign-in and refresh through the app, then a look into each store, and a refresh-token reuse
// whose revocation has to reach both (RFC 9700 §4.14.2).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { testRedisUrl } from '../helpers/redis.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'barbara@example.test';
const PASSWORD = 'a long and memorable passphrase';
const kind = storageKinds.at(-1)!;

describe.runIf(testRedisUrl)(`models split between Redis and ${kind}`, () => {
  let app: TestApp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    app = await startTestApp({ kind, redis: true });
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true });
    const client = await app.context.clients.register({ name: 'Split', redirectUris: [RP_REDIRECT_URI] });
    config = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  });
  afterAll(async () => { await app?.close(); });

  const redisKey = (suffix: string) => `${app.testRedis!.keyPrefix}${suffix}`;

  async function payloadRows(grantId: string): Promise<Array<{ model: string }>> {
    const { rows } = await app.context.database.query<{ model: string }>(
      'SELECT model FROM oidc_payloads WHERE grant_id = $1 OR (model = $2 AND id = $1) ORDER BY model',
      [grantId, 'Grant'],
    );
    return rows;
  }

  async function signInForTokens() {
    const result = await signIn(new Browser(), config, { email: EMAIL, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' } });
    return exchangeCode(config, result);
  }

  it('keeps sessions, codes and access tokens in Redis, grants and refresh tokens in Postgres', async () => {
    const tokens = await signInForTokens();
    const { redis } = app.testRedis!;
    expect(await app.testRedis!.keys('Session:*')).not.toHaveLength(0);
    expect(await redis.exists(redisKey(`AccessToken:${tokens.access_token}`))).toBe(1);
    expect(await app.testRedis!.keys('AuthorizationCode:*')).not.toHaveLength(0);
    const accessToken = JSON.parse((await redis.get(redisKey(`AccessToken:${tokens.access_token}`)))!) as { grantId: string };
    expect(await redis.sismember(redisKey(`grant:${accessToken.grantId}`), redisKey(`AccessToken:${tokens.access_token}`))).toBe(1);

    expect((await payloadRows(accessToken.grantId)).map((row) => row.model)).toEqual(['Grant', 'RefreshToken']);
    const { rows } = await app.context.database.query<{ model: string }>(
      "SELECT DISTINCT model FROM oidc_payloads WHERE model NOT IN ('Grant', 'RefreshToken')",
    );
    expect(rows).toEqual([]);
    expect(await app.testRedis!.keys('RefreshToken:*')).toEqual([]);
    expect(await app.testRedis!.keys('Grant:*')).toEqual([]);
  });

  it('revokes in both stores when a rotated refresh token is used again', async () => {
    const first = await signInForTokens();
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    const { redis } = app.testRedis!;
    const { grantId } = JSON.parse((await redis.get(redisKey(`AccessToken:${second.access_token}`)))!) as { grantId: string };
    expect(await payloadRows(grantId)).toEqual([{ model: 'Grant' }, { model: 'RefreshToken' }, { model: 'RefreshToken' }]);
    expect(await redis.exists(redisKey(`AccessToken:${first.access_token}`), redisKey(`AccessToken:${second.access_token}`))).toBe(2);

    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    expect(await redis.exists(redisKey(`AccessToken:${first.access_token}`), redisKey(`AccessToken:${second.access_token}`))).toBe(0);
    expect(await payloadRows(grantId)).toEqual([]);
    expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('reports Redis in /readyz', async () => {
    const response = await fetch(`${app.issuer}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  });
});
