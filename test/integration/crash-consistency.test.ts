// A process killed in the middle of code exchanges leaves nothing half-written: after a restart
// every code is either redeemable once or refused, and no token outlives its grant.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/db.js';
import { connectToRunningServer } from '../../src/storage/embedded.js';
import { createPoolDatabase } from '../../src/storage/db.js';
import { Browser } from '../helpers/browser.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';
import { cliEnvironment, collect, freePort, runCli, spawnCli, waitForHealth } from '../helpers/gatehouse-process.js';
import { discoverIssuer, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';

const EMAIL = 'crash@example.test';
const PASSWORD = 'survives a hard kill';
const CODES = 10;

describe.each(storageKinds)('a crash during code exchanges on %s', (kind) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-crash-'));
  let serverDatabase: TestDatabase | undefined;
  let server: ChildProcess | undefined;
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await serverDatabase?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves every code redeemable at most once and no token without its grant', { timeout: 180_000 }, async () => {
    if (kind === 'postgres') serverDatabase = await createTestDatabase('postgres', { migrate: false });
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const env = cliEnvironment(dataDir, {
      PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, ...(serverDatabase ? { DATABASE_URL: serverDatabase.url! } : {}),
    });
    expect((await runCli(['users', 'add', '--email', EMAIL, '--password', PASSWORD], env)).code).toBe(0);
    const added = await runCli(['clients', 'add', '--name', 'Crash', '--redirect-uri', RP_REDIRECT_URI, '--json'], env);
    const client = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

    const start = async () => {
      server = spawnCli(['serve'], env);
      void collect(server);
      await waitForHealth(issuer, server, 60_000);
    };
    await start();
    const rp = await discoverIssuer(issuer, client.client_id, client.client_secret);
    const codes: { code: string; verifier: string }[] = [];
    for (let i = 0; i < CODES; i += 1) {
      const result = await signIn(new Browser(), rp, { email: EMAIL, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' } });
      codes.push({ code: result.callbackUrl.searchParams.get('code')!, verifier: result.request.codeVerifier });
    }

    const exchange = (entry: { code: string; verifier: string }) => fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: entry.code, code_verifier: entry.verifier, redirect_uri: RP_REDIRECT_URI }),
    }).then(async (response) => ({ status: response.status, body: await response.json() as Record<string, unknown> }));

    // Exchanges started a few milliseconds apart; a hard kill (no shutdown hook runs) as soon as
    // the third has answered, so some are done, some are mid-write and some never arrive.
    let answered = 0;
    let killed!: () => void;
    const thirdAnswer = new Promise<void>((resolve) => { killed = resolve; });
    const inFlight = codes.map(async (entry, index) => {
      await new Promise((resolve) => setTimeout(resolve, index * 4));
      const result = await exchange(entry).catch(() => undefined);
      if (result && (answered += 1) === 3) killed();
      return result;
    });
    await thirdAnswer;
    server!.kill('SIGKILL');
    const first = await Promise.all(inFlight);
    await new Promise((resolve) => server!.exitCode !== null || server!.signalCode !== null ? resolve(null) : server!.once('exit', resolve));

    await start();
    const retried = await Promise.all(codes.map(exchange));
    for (const [index, retry] of retried.entries()) {
      if (first[index]?.status === 200) {
        // Redeemed before the crash: a second use is refused (RFC 6749 §4.1.2).
        expect(retry.status).toBe(400);
      } else {
        expect([200, 400]).toContain(retry.status);
      }
      if (retry.status === 400) expect(retry.body.error).toBe('invalid_grant');
    }

    const database: Database = serverDatabase
      ? createPoolDatabase({ connectionString: serverDatabase.url!, poolSize: 1, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 })
      : connectToRunningServer(dataDir, { poolSize: 1, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 });
    try {
      const grants = await database.query<{ id: string; payload: { accountId?: string; clientId?: string } }>(
        "SELECT id, payload FROM oidc_payloads WHERE model = 'Grant'",
      );
      for (const grant of grants.rows) {
        expect(grant.payload.accountId).toEqual(expect.any(String));
        expect(grant.payload.clientId).toBe(client.client_id);
      }
      const orphans = await database.query(
        `SELECT t.model, t.id FROM oidc_payloads t
         WHERE t.model IN ('AccessToken', 'RefreshToken') AND NOT EXISTS (
           SELECT 1 FROM oidc_payloads g WHERE g.model = 'Grant' AND g.id = t.grant_id)`,
      );
      expect(orphans.rows).toEqual([]);
      // Every code that yields tokens now has exactly one live grant behind it.
      expect(grants.rowCount).toBe(retried.filter((r) => r.status === 200).length);
    } finally {
      await database.close();
    }
  });
});
