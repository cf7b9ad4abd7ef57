// One authorization code redeemed by many requests at once, split across two nodes that share
// Postgres and Redis: exactly one request wins, and every token the code bought is revoked by the
// time the last answer is in (RFC 6749 §4.1.2, RFC 9700 §4.14.2), round after round.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relyingParty } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'twin@example.test';
const PASSWORD = 'one code, fifty hands';
const ROUNDS = 20;
const REDEMPTIONS = 50;

describe.runIf(Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL))('a code redeemed concurrently on two nodes', () => {
  let nodeA: Awaited<ReturnType<typeof startTestApp>>;
  let nodeB: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    nodeA = await startTestApp({ kind: 'postgres', redis: true });
    // The second node: same issuer, secrets, database and Redis keys; only the port differs.
    nodeB = await startTestApp({
      testDatabase: nodeA.testDatabase,
      redis: { keyPrefix: nodeA.testRedis!.keyPrefix },
      secrets: nodeA.secrets,
      env: { ISSUER: nodeA.issuer },
    });
    await nodeA.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true });
  }, 60_000);
  afterAll(async () => {
    await nodeB?.close();
    await nodeA?.close();
  });

  function post(origin: string, path: string, params: Record<string, string>): Promise<Response> {
    const { client_id: clientId, client_secret: secret } = rp.clientMetadata() as { client_id: string; client_secret: string };
    return fetch(`${origin}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(params),
    });
  }

  it(`leaves no live token after ${REDEMPTIONS} concurrent redemptions, in each of ${ROUNDS} rounds`, { timeout: 300_000 }, async () => {
    const browser = new Browser();
    // Each node's own address (startTestApp's issuer is where it listens).
    const origins = [nodeA.issuer, nodeB.issuer];
    for (let round = 0; round < ROUNDS; round += 1) {
      // A client per round keeps every round under the per-client token rate limit.
      rp = await relyingParty(nodeA);
      const { request, callbackUrl } = await signIn(browser, rp, {
        email: EMAIL, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' },
      });
      const redemption = {
        grant_type: 'authorization_code',
        code: callbackUrl.searchParams.get('code')!,
        redirect_uri: request.redirectUri,
        code_verifier: request.codeVerifier,
      };
      const answers = await Promise.all(Array.from({ length: REDEMPTIONS }, async (_, index) => {
        const response = await post(origins[index % 2]!, '/token', redemption);
        return { status: response.status, body: (await response.json()) as Record<string, string> };
      }));
      const winners = answers.filter((answer) => answer.status === 200);
      expect(winners, `round ${round}`).toHaveLength(1);
      for (const loser of answers.filter((answer) => answer.status !== 200)) {
        expect(loser, `round ${round}`).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      }

      const { access_token: accessToken, refresh_token: refreshToken } = winners[0]!.body;
      expect(refreshToken, `round ${round}`).toEqual(expect.any(String));
      for (const origin of origins) {
        for (const token of [accessToken!, refreshToken!]) {
          const introspection = await post(origin, '/token/introspection', { token });
          expect(await introspection.json(), `round ${round}`).toEqual({ active: false });
        }
      }
      const refreshed = await post(origins[round % 2]!, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken! });
      expect({ status: refreshed.status, body: await refreshed.json() }, `round ${round}`).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
  });
});
