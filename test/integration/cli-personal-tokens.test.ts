// `gatehouse users tokens` run as an operator runs it, against the database of a running server
// (Postgres: the embedded database admits one process): it lists a person's tokens without their
// values, and revokes one, after which introspection answers it inactive.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { cliEnvironment, runCli } from '../helpers/gatehouse-process.js';
import { introspect, type ConfidentialClient } from '../helpers/introspection.js';
import { makeToken, openTokensPage, PERSONAL_TOKEN_VALUE } from '../helpers/personal-tokens.js';
import { startTestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';

describe.runIf(process.env.TEST_DATABASE_URL)('gatehouse users tokens', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-tokens-cli-'));
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let api: ConfidentialClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp({ kind: 'postgres' });
    const registered = await app.context.clients.register({ name: 'Reports API', grants: ['client_credentials'], scope: 'openid' });
    api = { id: registered.clientId, secret: registered.clientSecret! };
    env = cliEnvironment(dataDir, { DATABASE_URL: app.testDatabase.url!, ENCRYPTION_KEY: app.secrets.encryptionKey });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists a person\'s tokens without their values and revokes one', { timeout: 120_000 }, async () => {
    const email = 'cli.tokens@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const browser = new Browser();
    const made = await makeToken(app, browser, await openTokensPage(app, browser, email), { name: 'deploy script', scopes: ['email'], days: '30' });
    const value = PERSONAL_TOKEN_VALUE.exec(made.body)![0];

    const listed = await runCli(['users', 'tokens', '--email', email, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(value);
    const [token] = JSON.parse(listed.stdout) as { id: string; name: string; scope: string }[];
    expect(token).toMatchObject({ name: 'deploy script', scope: expect.stringContaining('email') });
    const table = await runCli(['users', 'tokens', '--email', email], env);
    expect(table.stdout).toMatch(new RegExp(`^${token!.id}  deploy script  \\[`, 'm'));

    expect((await introspect(app.issuer, api, value)).active).toBe(true);
    const revoked = await runCli(['users', 'tokens', '--email', email, '--revoke', token!.id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`revoked personal access token ${token!.id} of <${email}>\n`);
    expect(await introspect(app.issuer, api, value)).toEqual({ active: false });

    const again = await runCli(['users', 'tokens', '--email', email, '--revoke', token!.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('has no live personal access token');
    expect((await runCli(['users', 'tokens', '--email', email, '--revoke', 'not-an-id'], env)).code).toBe(2);
    await app.context.audit.flush();
    const audit = await app.context.database.query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE type = 'personal_token.revoked' AND email = $1", [email],
    );
    expect(audit.rows.map((row) => row.detail.by)).toEqual(['admin-cli']);
  });
});
