// Starts the real Gatehouse HTTP app on an ephemeral port against a fresh test database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { composeApp, composeServices, type Services } from '../../src/compose.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createTestDatabase, type StorageKind, type TestDatabase } from './database.js';
import { createTestRedis, type TestRedis } from './redis.js';

export interface TestApp {
  issuer: string;
  config: Config;
  context: Services;
  app: App;
  testDatabase: TestDatabase;
  /** Set with the `redis` option: the client and key prefix this app stores its short-lived models under. */
  testRedis: TestRedis | undefined;
  close(): Promise<void>;
}

export interface StartTestAppOptions {
  kind?: StorageKind;
  /** Reuse a database (e.g. to show a restart keeps state); it is then not closed by close(). */
  testDatabase?: TestDatabase;
  env?: Record<string, string>;
  /** Secrets to reuse across a restart; fresh ones otherwise. */
  secrets?: { encryptionKey: string; cookieSecrets: string };
  /** Where the app logs (default: a logger at TEST_LOG_LEVEL, silent unless set). */
  logger?: Logger;
  /** Short-lived models in the real Redis (TEST_REDIS_URL, or the given URL) under a random key prefix, removed on close. */
  redis?: boolean | { url?: string; keyPrefix?: string };
}

export function createTestSecrets(): { encryptionKey: string; cookieSecrets: string } {
  return { encryptionKey: randomBytes(32).toString('base64url'), cookieSecrets: randomBytes(32).toString('base64url') };
}

export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp & { secrets: { encryptionKey: string; cookieSecrets: string } }> {
  const ownsDatabase = !options.testDatabase;
  const testDatabase = options.testDatabase ?? (await createTestDatabase(options.kind ?? 'pglite'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-app-'));
  const secrets = options.secrets ?? createTestSecrets();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const testRedis = options.redis ? await createTestRedis(typeof options.redis === 'object' ? { url: options.redis.url, keyPrefix: options.redis.keyPrefix } : {}) : undefined;
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      ISSUER: issuer,
      DATA_DIR: dataDir,
      ENCRYPTION_KEY: secrets.encryptionKey,
      COOKIE_SECRETS: secrets.cookieSecrets,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...(testRedis ? { REDIS_URL: testRedis.url, REDIS_KEY_PREFIX: testRedis.keyPrefix } : {}),
      ...options.env,
    },
  });
  const context = await composeServices(config, { database: testDatabase.database, redis: testRedis?.redis }, options.logger ?? createLogger(config.logLevel));
  const app = await composeApp(context);
  server.on('request', app.callback);
  return {
    issuer,
    config,
    context,
    app,
    testDatabase,
    testRedis,
    secrets,
    async close() {
      await app.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownsDatabase) await testDatabase.close();
      await testRedis?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
