// Starts the real Gatehouse HTTP app on an ephemeral port against a fresh test database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createContext, type AppContext } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type StorageKind, type TestDatabase } from './database.js';

export interface TestApp {
  issuer: string;
  config: Config;
  context: AppContext;
  app: App;
  testDatabase: TestDatabase;
  close(): Promise<void>;
}

export interface StartTestAppOptions {
  kind?: StorageKind;
  /** Reuse a database (e.g. to show a restart keeps state); it is then not closed by close(). */
  testDatabase?: TestDatabase;
  env?: Record<string, string>;
  /** Secrets to reuse across a restart; fresh ones otherwise. */
  secrets?: { encryptionKey: string; cookieSecrets: string };
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
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      ISSUER: issuer,
      DATA_DIR: dataDir,
      ENCRYPTION_KEY: secrets.encryptionKey,
      COOKIE_SECRETS: secrets.cookieSecrets,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...options.env,
    },
  });
  const context = createContext(config, testDatabase.database, createLogger(config.logLevel));
  const app = await createApp(context);
  server.on('request', app.callback);
  return {
    issuer,
    config,
    context,
    app,
    testDatabase,
    secrets,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownsDatabase) await testDatabase.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
