// Production refuses settings that would quietly weaken it, and says which: an argon2 cost below
// OWASP's floor (for the server and for `users add`, which hashes too), and a Redis that may evict
// replay-detection and lockout records. The real executable in a child process, as an operator runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, connectRedis, createRedisClient } from '../../src/storage/redis.js';
import { cliFixture } from '../helpers/cli-fixture.js';
import { storageKinds } from '../helpers/database.js';
import { cliEnvironment, collect, freePort, runCli, spawnCli, waitForHealth, type CliResult } from '../helpers/gatehouse-process.js';
import { redisServerBinary, startRedisServer, type OwnRedisServer } from '../helpers/redis-server.js';

// Each run is a fresh process; on PGlite opening the database takes about 2 s.
const PROCESS_RUNS_MS = 120_000;
const WEAK_ARGON2 = { ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' };

function production(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return cliEnvironment(dataDir, {
    NODE_ENV: 'production', ISSUER: 'https://id.example.test', MAIL_TRANSPORT: 'outbox', HOST: '127.0.0.1', ...extra,
  });
}

/** A non-zero exit whose last line on stderr is the reason (oidc-provider may print a notice when loaded). */
function expectRefusal(result: CliResult, reason: RegExp): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.stdout).toBe('');
  const lastLine = result.stderr.trimEnd().split('\n').at(-1) ?? '';
  expect(lastLine).toMatch(/^gatehouse: /);
  expect(lastLine).toMatch(reason);
}

describe('an argon2 cost below the floor', () => {
  let dataDir: string;
  beforeAll(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-argon2-')); });
  afterAll(() => { rmSync(dataDir, { recursive: true, force: true }); });

  it('stops the production server from starting, naming the variable', { timeout: PROCESS_RUNS_MS }, async () => {
    const env = production(dataDir, { ...WEAK_ARGON2, PORT: String(await freePort()) });
    expectRefusal(await runCli(['serve'], env), /ARGON2_MEMORY_KIB must be at least 19456/);
    expectRefusal(await runCli(['serve'], { ...env, ARGON2_MEMORY_KIB: '19456' }), /ARGON2_ITERATIONS must be at least 2/);
  });
});

describe.each(storageKinds)('gatehouse users add with an argon2 cost below the floor, on %s', (kind) => {
  const cli = cliFixture(kind, 'gh-argon2-users-');

  async function storedHashes(): Promise<string[]> {
    return cli.withDatabase(async (database) => (await database.query<{ password_hash: string }>('SELECT password_hash FROM users ORDER BY created_at')).rows.map((row) => row.password_hash));
  }

  it('refuses in every environment and stores no hash; the default cost is stored as configured', { timeout: PROCESS_RUNS_MS }, async () => {
    expect((await runCli(['migrate'], cli.env)).code).toBe(0);
    const add = ['users', 'add', '--email', 'weak@example.com', '--password', 'correct horse battery'];
    expectRefusal(await runCli(add, { ...cli.env, ...WEAK_ARGON2 }), /ARGON2_MEMORY_KIB must be at least 19456/);
    expectRefusal(await runCli(add, { ...cli.env, NODE_ENV: 'production', ISSUER: 'https://id.example.test', MAIL_TRANSPORT: 'outbox', ...WEAK_ARGON2 }), /ARGON2_MEMORY_KIB/);
    expect(await storedHashes()).toEqual([]);

    const added = await runCli(add, cli.env);
    expect(added.code, added.stderr).toBe(0);
    const hashes = await storedHashes();
    expect(hashes).toHaveLength(1);
    expect(hashes[0]).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});

describe.skipIf(!redisServerBinary)('a Redis that may evict keys', () => {
  let redis: OwnRedisServer;
  let dataDir: string;
  beforeAll(async () => {
    redis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-eviction-'));
  });
  afterAll(async () => {
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops the production server from starting, naming the policy; with noeviction it starts', { timeout: PROCESS_RUNS_MS }, async () => {
    const port = await freePort();
    const env = production(dataDir, { REDIS_URL: redis.url, PORT: String(port) });
    expectRefusal(await runCli(['serve'], env), /REDIS_URL: redis maxmemory-policy is allkeys-lru, not noeviction/);

    // The same deployment with the policy fixed starts: the refusal was the policy's alone.
    const admin = createRedisClient({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 2000 });
    await connectRedis(admin);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await closeRedis(admin);
    const server = spawnCli(['serve'], env);
    const output = collect(server);
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, server, 60_000);
    } finally {
      server.kill('SIGTERM');
    }
    expect((await output).code).toBe(0);
  });
});
