// A restart keeps users, clients, signing keys and grants: the real server entry point, stopped
// and started again on the same storage (embedded PGlite files, or a Postgres server). The
// embedded data directory starts from the test run's template cluster: initdb is not what this
// test is about, and on a loaded machine it alone took most of the time budget.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { Browser } from '../helpers/browser.js';
import { createTestDatabase, seedEmbeddedDataDir, storageKinds, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/gatehouse-process.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { createTestSecrets } from '../helpers/start-app.js';


describe.each(storageKinds)('restart on %s', (kind) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-restart-'));
  let serverDatabase: TestDatabase | undefined;
  let running: RunningServer | undefined;
  afterAll(async () => {
    await running?.stop();
    await serverDatabase?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps users, clients, keys and grants', async () => {
    if (kind === 'postgres') serverDatabase = await createTestDatabase('postgres', { migrate: false });
    else await seedEmbeddedDataDir(dataDir);
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const secrets = createTestSecrets();
    const config = loadConfig({
      env: {
        NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, DATA_DIR: dataDir,
        ENCRYPTION_KEY: secrets.encryptionKey, COOKIE_SECRETS: secrets.cookieSecrets,
        ...(serverDatabase?.url ? { DATABASE_URL: serverDatabase.url } : {}),
      },
    });
    const logger = createLogger('silent');

    running = await startServer(config, logger);
    await running.context.users.create({ email: 'lin@example.test', password: 'restart-proof passphrase', emailVerified: true });
    const client = await running.context.clients.register({ name: 'Survivor', redirectUris: [RP_REDIRECT_URI] });
    let rp = await discoverIssuer(issuer, client.clientId, client.clientSecret!);
    const result = await signIn(new Browser(), rp, {
      email: 'lin@example.test', password: 'restart-proof passphrase', scope: 'openid offline_access', extraParams: { prompt: 'consent' },
    });
    const tokens = await exchangeCode(rp, result);
    const keysBefore = await (await fetch(`${issuer}/jwks`)).json();
    await running.stop();
    running = undefined;

    running = await startServer(config, logger);
    expect(await (await fetch(`${issuer}/jwks`)).json()).toEqual(keysBefore);
    rp = await discoverIssuer(issuer, client.clientId, client.clientSecret!);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(true);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(tokens.claims()!.sub);
    const again = await signIn(new Browser(), rp, { email: 'lin@example.test', password: 'restart-proof passphrase' });
    expect((await exchangeCode(rp, again)).claims()!.sub).toBe(tokens.claims()!.sub);
  });
});
