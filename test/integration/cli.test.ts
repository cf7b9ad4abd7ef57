// The `gatehouse` command as an operator runs it: the real executable in a child process, against a
// fresh DATA_DIR (and a dedicated database on the real Postgres when TEST_DATABASE_URL is set).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/db.js';
import { startEmbeddedPostgres } from '../../src/storage/embedded.js';
import { createTestDatabase, storageKinds, type TestDatabase } from '../helpers/database.js';
import { cliEnvironment, collect, freePort, runCli, spawnCli, waitForHealth, type CliResult } from '../helpers/gatehouse-process.js';

// Each run is a fresh process opening the database (about 2 s on PGlite); a test runs several.
const MANY_RUNS_MS = 120_000;

function expectOk(result: CliResult): CliResult {
  expect(result.stderr, result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

function expectOneLineFailure(result: CliResult, code: number): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(/^gatehouse: [^\n]+\n$/);
  expect(result.stdout).toBe('');
}

describe.each(storageKinds)('gatehouse CLI on %s', (kind) => {
  let dataDir: string;
  let env: Record<string, string>;
  let serverDatabase: TestDatabase | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-cli-'));
    serverDatabase = kind === 'postgres' ? await createTestDatabase('postgres', { migrate: false }) : undefined;
    env = cliEnvironment(dataDir, serverDatabase ? { DATABASE_URL: serverDatabase.url! } : {});
  });
  afterAll(async () => {
    await serverDatabase?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
    if (serverDatabase) return fn(serverDatabase.database);
    // No server runs here, so the test may own the data directory for a moment.
    const embedded = await startEmbeddedPostgres({ dataDir, poolSize: 1, statementTimeoutMs: 5000, connectionTimeoutMs: 5000 });
    try {
      return await fn(embedded.database);
    } finally {
      await embedded.database.close();
    }
  }

  async function countUsers(): Promise<number> {
    return withDatabase(async (database) => (await database.query('SELECT 1 FROM users')).rowCount);
  }

  async function listClients(): Promise<Array<Record<string, unknown>>> {
    return JSON.parse(expectOk(await runCli(['clients', 'list', '--json'], env)).stdout) as Array<Record<string, unknown>>;
  }

  it('prints help for the command and for each subcommand, without touching the database', { timeout: MANY_RUNS_MS }, async () => {
    const top = expectOk(await runCli(['--help'], env));
    expect(top.stdout).toMatch(/^Usage: gatehouse <command>/);
    for (const args of [['serve'], ['migrate'], ['users', 'add'], ['clients', 'add'], ['clients', 'list'], ['keys', 'list']]) {
      const help = expectOk(await runCli([...args, '--help'], env));
      expect(help.stdout).toContain(`Usage: gatehouse ${args.join(' ')}`);
      expect(expectOk(await runCli([...args, '-h'], env)).stdout).toBe(help.stdout);
    }
    expect(expectOk(await runCli(['users', 'add', '--help'], env)).stdout).toContain('--password-stdin');
    expect(expectOk(await runCli(['clients', '--help'], env)).stdout).toContain('clients list');
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
  });

  it('migrates a fresh database, then reports it up to date', { timeout: MANY_RUNS_MS }, async () => {
    const first = expectOk(await runCli(['migrate'], env));
    expect(first.stdout).toContain('applied 001_initial.sql');
    const again = expectOk(await runCli(['migrate'], env));
    expect(again.stdout).not.toContain('applied');
    expect(again.stdout).toContain('database schema is up to date');
  });

  it('adds users from a flag or from stdin and never prints the password', { timeout: MANY_RUNS_MS }, async () => {
    const added = expectOk(await runCli(['users', 'add', '--email', 'ada@example.com', '--password', 'correct horse', '--verified', '--name', 'Ada'], env));
    expect(added.stdout).toMatch(/^created user [0-9a-f-]{36} <ada@example.com> \(email verified\)\n$/);
    const piped = expectOk(await runCli(['users', 'add', '--email', 'bob@example.com', '--password-stdin'], env, 'battery staple\n'));
    expect(piped.stdout).toContain('<bob@example.com>');
    expect(added.stdout + piped.stdout).not.toMatch(/correct horse|battery staple/);
    expect(await countUsers()).toBe(2);
  });

  it('registers confidential, public and machine clients', { timeout: MANY_RUNS_MS }, async () => {
    const web = JSON.parse(expectOk(await runCli(['clients', 'add', '--name', 'web', '--redirect-uri', 'https://app.example.com/cb', '--post-logout-redirect-uri', 'https://app.example.com/', '--json'], env)).stdout);
    expect(web).toMatchObject({
      client_name: 'web', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], redirect_uris: ['https://app.example.com/cb'], scope: 'openid offline_access profile email',
    });
    expect(web.client_id).toMatch(/^[0-9a-f]{32}$/);
    expect(web.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const app = expectOk(await runCli(['clients', 'add', '--name', 'phone', '--public', '--redirect-uri', 'com.example.app:/callback', '--redirect-uri', 'http://127.0.0.1:7000/cb'], env));
    expect(app.stdout).toMatch(/^client_id: +[0-9a-f]{32}\n/);
    expect(app.stdout).not.toContain('client_secret');

    const legacy = JSON.parse(expectOk(await runCli(['clients', 'add', '--name', 'legacy', '--redirect-uri', 'http://localhost:4000/cb', '--no-pkce', '--scope', 'openid email', '--json'], env)).stdout);
    expect(legacy).toMatchObject({ require_pkce: false, scope: 'openid email' });
    const text = expectOk(await runCli(['clients', 'add', '--name', 'svc', '--grant', 'client_credentials'], env));
    const svcSecret = /client_secret: ([A-Za-z0-9_-]{43})\n/.exec(text.stdout)?.[1];
    expect(svcSecret).toBeDefined();

    const listed = await listClients();
    expect(listed.map((c) => c.client_name)).toEqual(['web', 'phone', 'legacy', 'svc']);
    expect(listed.find((c) => c.client_name === 'phone')).toMatchObject({ confidential: false, token_endpoint_auth_method: 'none', application_type: 'native' });
    const everything = JSON.stringify(listed) + expectOk(await runCli(['clients', 'list'], env)).stdout;
    expect(everything).not.toContain(web.client_secret);
    expect(everything).not.toContain(svcSecret);
    expect(everything).not.toMatch(/client_secret"|client_secret_encrypted/);
  });

  it('lists a client whose secret a row holds in plain without the secret, saying it has one', { timeout: MANY_RUNS_MS }, async () => {
    // As an import, a hand-written row or a release before secrets were sealed would leave it.
    const plainSecret = 'plain-secret-from-an-older-row-0123456789abc';
    await withDatabase((database) => database.query('INSERT INTO oidc_clients (client_id, metadata) VALUES ($1, $2)', [
      'imported', JSON.stringify({ client_id: 'imported', client_name: 'imported', client_secret: plainSecret, token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
    ]));
    const listed = await listClients();
    expect(listed.find((c) => c.client_id === 'imported')).toMatchObject({ has_secret: true });
    expect(listed.find((c) => c.client_name === 'phone')).toMatchObject({ has_secret: false });
    const text = expectOk(await runCli(['clients', 'list'], env)).stdout;
    expect(text).toMatch(/^imported {2}imported {2}confidential \(has a secret\) {2}client_credentials/m);
    expect(text).toMatch(/ {2}phone {2}public \(no secret\) /);
    expect(JSON.stringify(listed) + text).not.toContain(plainSecret);
    expect(JSON.stringify(listed)).not.toMatch(/client_secret"|client_secret_encrypted/);
  });

  it('lists signing keys (none until the server first starts)', { timeout: MANY_RUNS_MS }, async () => {
    expect(JSON.parse(expectOk(await runCli(['keys', 'list', '--json'], env)).stdout)).toEqual([]);
    expect(expectOk(await runCli(['keys', 'list'], env)).stdout).toContain('no signing keys yet');
  });

  it('refuses bad input with one line on stderr and writes nothing', { timeout: MANY_RUNS_MS }, async () => {
    const usersBefore = await countUsers();
    const clientsBefore = (await listClients()).length;
    const refused: Array<[string[], number]> = [
      [['users', 'add', '--password', 'correct horse'], 2],
      [['users', 'add', '--email', 'not-an-email', '--password', 'correct horse'], 2],
      [['users', 'add', '--email', 'eve@example.com', '--password', 'short'], 2],
      [['users', 'add', '--email', 'eve@example.com', '--password', 'correct horse', '--password-stdin'], 2],
      [['users', 'add', '--email', 'eve@example.com', '--password', 'correct horse', '--role', 'Admin'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'not a uri'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'http://app.example.com/cb'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://app.example.com/cb#frag'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'com.example.app:/cb'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://app.example.com/cb', '--grant', 'implicit'], 2],
      [['clients', 'add', '--name', 'x', '--public', '--grant', 'client_credentials'], 2],
      [['clients', 'add', '--name', 'x', '--public', '--redirect-uri', 'https://app.example.com/cb', '--no-pkce'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'javascript:alert(1)', '--public'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://app.example.com/cb', '--post-logout-redirect-uri', 'http://app.example.com/'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://a.example/cb\nhttps://evil.example/cb'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', `https://a.example/${'x'.repeat(1982)}`], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://[::1:bad]/cb'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://*.example.com/cb'], 2],
      [['clients', 'add', '--name', 'x', ...Array.from({ length: 21 }, (_, i) => ['--redirect-uri', `https://a.example/cb${i}`]).flat()], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://a.example/cb', '--post-logout-redirect-uri', 'https://*.example.com/'], 2],
      [['clients', 'add', '--name', 'x'.repeat(101), '--redirect-uri', 'https://app.example.com/cb'], 2],
      [['clients', 'add', '--name', 'x', '--grant', 'refresh_token', '--grant', 'client_credentials'], 2],
      [['clients', 'add', '--name', 'x', '--grant', 'client_credentials', '--redirect-uri', 'https://app.example.com/cb'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://app.example.com/cb', '--scope', 'openid "quoted"'], 2],
      [['clients', 'add', '--name', 'x', '--redirect-uri', 'https://app.example.com/cb', '--bogus'], 2],
      [['clients', 'add', '--redirect-uri', 'https://app.example.com/cb'], 2],
      [['clients', 'add', '--name', 'x'], 2],
      [['clients', 'remove'], 2],
      [['frobnicate'], 2],
      [[], 2],
    ];
    for (const [args, code] of refused) expectOneLineFailure(await runCli(args, env), code);
    const withPassword = await runCli(['clients', 'add', '--name', 'x', '--redirect-uri', 'https://user:hunter22@app.example.com/cb'], env);
    expectOneLineFailure(withPassword, 2);
    expect(withPassword.stderr).not.toContain('hunter22');

    // The policy's own sentence is the reason (services/password-policy.ts).
    const weak: Array<[string, string]> = [
      ['elevenchars', 'Use at least 12 characters.'],
      ['Password1234', 'This password is on a list of passwords that attackers try first. Choose another.'],
      ['eve is my name, ok', "Don't use your email address in your password."],
    ];
    for (const [password, reason] of weak) {
      const refusal = await runCli(['users', 'add', '--email', 'eve@example.com', '--password', password], env);
      expectOneLineFailure(refusal, 2);
      expect(refusal.stderr).toBe(`gatehouse: users add: ${reason}\n`);
    }

    const duplicate = await runCli(['users', 'add', '--email', 'ADA@example.com', '--password', 'correct horse'], env);
    expectOneLineFailure(duplicate, 1);
    expect(duplicate.stderr).toContain('already exists');
    expect(duplicate.stderr).not.toContain('correct horse');

    expect(await countUsers()).toBe(usersBefore);
    expect((await listClients()).length).toBe(clientsBefore);
  });
});

describe('gatehouse serve with the CLI beside it (embedded storage)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let issuer: string;
  let server: ChildProcess;
  let serverOutput: Promise<CliResult>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-srv-'));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    env = cliEnvironment(dataDir, { PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer });
    server = spawnCli(['serve'], env);
    serverOutput = collect(server);
    await waitForHealth(issuer, server, 60_000);
  }, 90_000);
  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function clientCredentialsToken(clientId: string, clientSecret: string): Promise<Response> {
    return fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
  }

  it('registers a client through the running server, which accepts it at once', { timeout: MANY_RUNS_MS }, async () => {
    const added = expectOk(await runCli(['clients', 'add', '--name', 'svc', '--grant', 'client_credentials', '--json'], env));
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    const response = await clientCredentialsToken(clientId, clientSecret);
    const body = await response.json() as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.access_token).toEqual(expect.any(String));
    expect((await clientCredentialsToken(clientId, 'wrong-secret')).status).toBe(401);

    // The CLI went through the server's socket: it names the owner instead of opening the files.
    expect(expectOk(await runCli(['migrate'], env)).stdout).toContain(`served by process ${server.pid}`);
    const keys = JSON.parse(expectOk(await runCli(['keys', 'list', '--json'], env)).stdout) as Array<{ alg: string }>;
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
  });

  it('refuses a second server on the same data directory, leaving the first untouched', async () => {
    const second = await runCli(['serve'], { ...env, PORT: String(await freePort()) });
    expectOneLineFailure(second, 1);
    expect(second.stderr).toContain(`is in use by process ${server.pid}`);
    expect(readFileSync(path.join(dataDir, 'gatehouse.pid'), 'utf8')).toBe(String(server.pid));
    expect((await fetch(`${issuer}/healthz`)).status).toBe(200);
  });

  it('stops cleanly on SIGTERM and releases the directory', async () => {
    server.kill('SIGTERM');
    const result = await serverOutput;
    expect(result.code).toBe(0);
    expect(existsSync(path.join(dataDir, 'gatehouse.pid'))).toBe(false);
    // With no server left, the CLI opens the directory itself and finds what was registered.
    const listed = JSON.parse(expectOk(await runCli(['clients', 'list', '--json'], env)).stdout) as Array<{ client_name: string }>;
    expect(listed.map((c) => c.client_name)).toEqual(['svc']);
  });
});
