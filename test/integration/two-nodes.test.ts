// Two Gatehouse processes behind one issuer, sharing one Postgres and one Redis: a sign-in that
// hops between them at every step still completes, and a logout on one is seen by the other.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { cliEnvironment, collect, freePort, runCli, spawnCli, waitForHealth } from '../helpers/gatehouse-process.js';
import { buildAuthorizationRequest, discoverIssuer, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI } from '../helpers/relying-party.js';
import { createTestRedis, type TestRedis } from '../helpers/redis.js';

const EMAIL = 'hopper@example.test';
const PASSWORD = 'two nodes, one identity';

describe.runIf(Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL))('two nodes sharing Postgres and Redis', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  const dataDirs = [mkdtempSync(path.join(os.tmpdir(), 'gh-node-a-')), mkdtempSync(path.join(os.tmpdir(), 'gh-node-b-'))];
  const nodes: ChildProcess[] = [];
  let nodeA: string;
  let nodeB: string;
  let client: { client_id: string; client_secret: string };

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { migrate: false });
    redis = await createTestRedis();
    const [portA, portB] = [await freePort(), await freePort()];
    nodeA = `http://127.0.0.1:${portA}`;
    nodeB = `http://127.0.0.1:${portB}`;
    // One issuer, one set of secrets, one database and one Redis: only the port differs.
    const shared = cliEnvironment(dataDirs[0]!, {
      DATABASE_URL: database.url!, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix, ISSUER: nodeA, HOST: '127.0.0.1',
    });
    const users = await runCli(['users', 'add', '--email', EMAIL, '--password', PASSWORD, '--verified'], shared);
    expect(users.code, users.stderr).toBe(0);
    const added = await runCli([
      'clients', 'add', '--name', 'Hopper', '--redirect-uri', RP_REDIRECT_URI, '--post-logout-redirect-uri', RP_POST_LOGOUT_REDIRECT_URI, '--json',
    ], shared);
    expect(added.code, added.stderr).toBe(0);
    client = JSON.parse(added.stdout) as typeof client;
    for (const [index, port] of [portA, portB].entries()) {
      const node = spawnCli(['serve'], { ...shared, PORT: String(port), DATA_DIR: dataDirs[index]! });
      void collect(node);
      nodes.push(node);
    }
    await waitForHealth(nodeA, nodes[0]!, 60_000);
    await waitForHealth(nodeB, nodes[1]!, 60_000);
  }, 120_000);

  afterAll(async () => {
    for (const node of nodes) if (node.exitCode === null) node.kill('SIGTERM');
    await Promise.all(nodes.map((node) => new Promise((resolve) => (node.exitCode === null ? node.once('exit', resolve) : resolve(null)))));
    await redis?.close();
    await database?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  /** The same page as if the load balancer had sent the browser to the other node. */
  const onNode = (page: Page, origin: string): Page => ({ ...page, url: origin + new URL(page.url).pathname + new URL(page.url).search });

  /** The relying party talking to one node's endpoints (discovery says the shared issuer). */
  async function rpOn(origin: string): Promise<oidc.Configuration> {
    const discovered = await discoverIssuer(nodeA, client.client_id, client.client_secret);
    const metadata = { ...discovered.serverMetadata() };
    for (const key of ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'userinfo_endpoint', 'end_session_endpoint'] as const) {
      metadata[key] = metadata[key]!.replace(nodeA, origin);
    }
    const config = new oidc.Configuration(metadata, client.client_id, client.client_secret);
    oidc.allowInsecureRequests(config);
    return config;
  }

  it('starts on A, logs in on B, exchanges on A, refreshes on B, logs out on A; then B refuses the tokens', { timeout: 60_000 }, async () => {
    const [rpA, rpB] = [await rpOn(nodeA), await rpOn(nodeB)];
    const browser = new Browser();
    const follow = { followOrigins: [nodeA, nodeB] };

    const request = await buildAuthorizationRequest(rpA, { scope: 'openid email' });
    const loginPage = await browser.get(request.url.href, follow);
    expect(loginPage.body).toContain('name="password"');
    // B can answer only because the interaction lives in the shared Redis, not in A's memory.
    const consentPage = await browser.submit(onNode(loginPage, nodeB), { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, ...follow });
    const callback = await browser.submit(onNode(consentPage, nodeA), { button: 'Allow', ...follow });
    expect(callback.location).toMatch(new RegExp(`^${RP_REDIRECT_URI}\\?`));

    const tokens = await oidc.authorizationCodeGrant(rpA, new URL(callback.location!), {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
    expect(tokens.claims()!.email).toBeUndefined();
    const refreshed = await oidc.refreshTokenGrant(rpB, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(rpB, refreshed.access_token)).active).toBe(true);
    expect((await oidc.fetchUserInfo(rpB, refreshed.access_token, tokens.claims()!.sub)).email).toBe(EMAIL);

    const logoutUrl = oidc.buildEndSessionUrl(rpA, { id_token_hint: refreshed.id_token ?? tokens.id_token!, post_logout_redirect_uri: RP_POST_LOGOUT_REDIRECT_URI });
    const confirm = await browser.get(logoutUrl.href, follow);
    expect(confirm.status).toBe(200);
    const signedOut = await browser.submit(confirm, { button: 'Sign out', ...follow });
    expect(signedOut.location).toMatch(new RegExp(`^${RP_POST_LOGOUT_REDIRECT_URI}`));

    expect((await oidc.tokenIntrospection(rpB, refreshed.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rpB, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // And the browser's session is gone on both nodes: a new sign-in asks for the password again.
    const again = await browser.get((await buildAuthorizationRequest(rpB)).url.href.replace(nodeA, nodeB), follow);
    expect(again.body).toContain('name="password"');
  });
});
