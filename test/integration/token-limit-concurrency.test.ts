// The per-client token limit holds under concurrency: many parallel client_credentials requests,
// on one node or spread over two that share their counters, are never served more than the
// limit, and requests with a wrong secret get their reserved point back.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, storageVariants } from '../helpers/accounts.js';
import { createTestDatabase } from '../helpers/database.js';
import { testRedisUrl } from '../helpers/redis.js';
import { createTestSecrets, startTestApp, type TestApp } from '../helpers/start-app.js';

const settings = createSettingsFiles('gh-token-limit-');
afterAll(() => settings.remove());
const LIMIT = 10;
const env = () => ({ SETTINGS_FILE: settings.file('limit', { rateLimits: { tokenPerClient: { points: LIMIT, windowSeconds: 600 } } }) });

async function registerMachine(app: TestApp) {
  return app.context.clients.register({ name: 'Batch job', redirectUris: [], grants: ['client_credentials'] });
}

function requestToken(app: TestApp, clientId: string, secret: string): Promise<number> {
  return fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  }).then(async (response) => {
    await response.arrayBuffer();
    return response.status;
  });
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe.each(storageVariants)('the per-client token limit under concurrency on $name', ({ options }) => {
  it('serves exactly the limit out of many parallel requests; parallel wrong secrets take none of it', async () => {
    const app = await startTestApp({ ...options, env: env() });
    try {
      const machine = await registerMachine(app);
      // Fewer than the limit: while in flight each holds a reserved point, so more could see 429.
      const wrong = await Promise.all(Array.from({ length: LIMIT - 1 }, () => requestToken(app, machine.clientId, 'not-the-secret')));
      expect(tally(wrong)).toEqual({ 401: LIMIT - 1 });
      const right = await Promise.all(Array.from({ length: 4 * LIMIT }, () => requestToken(app, machine.clientId, machine.clientSecret!)));
      expect(tally(right)).toEqual({ 200: LIMIT, 429: 3 * LIMIT });
    } finally {
      await app.close();
    }
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('the per-client token limit across two nodes', () => {
  it.each([
    { name: 'Postgres counters', redis: false },
    ...(testRedisUrl ? [{ name: 'Redis counters', redis: true }] : []),
  ])('two nodes together serve exactly the limit ($name)', async ({ redis }) => {
    const database = await createTestDatabase('postgres');
    const secrets = createTestSecrets();
    const shared = redis ? { redis: { keyPrefix: `gh-test:${randomBytes(6).toString('hex')}:` } } : {};
    const nodeA = await startTestApp({ testDatabase: database, secrets, env: env(), ...shared });
    const nodeB = await startTestApp({ testDatabase: database, secrets, env: env(), ...shared });
    try {
      const machine = await registerMachine(nodeA);
      const requests = Array.from({ length: 4 * LIMIT }, (_, index) =>
        requestToken(index % 2 === 0 ? nodeA : nodeB, machine.clientId, machine.clientSecret!));
      expect(tally(await Promise.all(requests))).toEqual({ 200: LIMIT, 429: 3 * LIMIT });
    } finally {
      await nodeA.close();
      await nodeB.close();
      await database.close();
    }
  });
});
