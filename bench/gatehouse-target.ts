// Gatehouse as a benchmark target: the real entry point (startServer) with a config from loadConfig.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import {
  JWT_RESOURCE, RESOURCE_SERVERS, USER_COUNT, USER_PASSWORD, WEB_CLIENT_INPUT, machineClientInput, userEmail,
  type TargetReady, type TargetSpec,
} from './fixtures.js';

export async function startGatehouseTarget(spec: TargetSpec): Promise<{ ready: TargetReady; stop(): Promise<void> }> {
  const settingsFile = path.join(spec.dataDir, 'bench-settings.json');
  // Every load comes from one IP, a few accounts and one machine client: the rate limits stay on
  // (their counting is part of what is measured) but wide enough never to refuse.
  const wide = { points: 1_000_000_000, windowSeconds: 60 };
  writeFileSync(settingsFile, JSON.stringify({
    resourceServers: RESOURCE_SERVERS,
    rateLimits: { loginPerIp: wide, loginFailuresPerIp: wide, secondFactorPerIp: wide, registrationPerIp: wide, tokenPerClient: wide },
    lockout: { maxFailures: 100 },
  }));
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(spec.port),
      ISSUER: `http://127.0.0.1:${spec.port}`,
      DATA_DIR: spec.dataDir,
      ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      COOKIE_SECRETS: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'silent',
      SETTINGS_FILE: settingsFile,
      ...(spec.databaseUrl ? { DATABASE_URL: spec.databaseUrl } : {}),
      ...(spec.redisUrl ? { REDIS_URL: spec.redisUrl, REDIS_KEY_PREFIX: spec.redisKeyPrefix ?? '' } : {}),
    },
  });
  // Features that other work adds to the config; each is one line to read here once it exists.
  const jwtSupported = (config.settings as { resourceServers?: Record<string, unknown> }).resourceServers?.[JWT_RESOURCE] !== undefined;
  const redisActive = Boolean((config as { redisUrl?: string }).redisUrl);

  const running = await startServer(config);
  const listeningRssMiB = process.memoryUsage.rss() / 2 ** 20;
  try {
    const { clients, users } = running.context;
    const machine = await clients.register(machineClientInput(jwtSupported));
    const web = await clients.register(WEB_CLIENT_INPUT);
    const accounts = Array.from({ length: USER_COUNT }, (_, index) => ({ email: userEmail(index), password: USER_PASSWORD }));
    for (const account of accounts) await users.create({ ...account, emailVerified: true });
    const storage = spec.databaseUrl
      ? `Postgres${spec.redisUrl ? (redisActive ? ' + Redis' : ' (no Redis adapter yet)') : ''}`
      : 'PGlite';
    return {
      ready: {
        type: 'ready',
        url: running.url,
        storage,
        machine: { clientId: machine.clientId, clientSecret: machine.clientSecret! },
        web: { clientId: web.clientId, clientSecret: web.clientSecret! },
        users: accounts,
        jwtResource: jwtSupported ? JWT_RESOURCE : null,
        hasLoginPages: true,
        listeningRssMiB,
      },
      stop: () => running.stop(),
    };
  } catch (error) {
    await running.stop().catch(() => undefined);
    throw error;
  }
}
