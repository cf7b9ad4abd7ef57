// `gatehouse clients show|update|delete|rotate-secret` as an operator runs them: the real
// executable in a child process, on a client whose id starts with '-' (passed as --client ID),
// each change audited as admin-cli, every refusal one line on stderr with a non-zero exit.
import { describe, expect, it } from 'vitest';
import { cliFixture } from '../helpers/cli-fixture.js';
import { storageKinds } from '../helpers/database.js';
import { runCli, type CliResult } from '../helpers/gatehouse-process.js';

// Each run is a fresh process opening the database; a test runs a dozen.
const MANY_RUNS_MS = 300_000;
const DASH_ID = '-dash-client';

function expectOk(result: CliResult): CliResult {
  expect(result.stderr, result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

function expectOneLineFailure(result: CliResult, code: number, reason: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(/^gatehouse: [^\n]+\n$/);
  expect(result.stderr).toMatch(reason);
  expect(result.stdout).toBe('');
}

describe.each(storageKinds)('gatehouse clients on %s', (kind) => {
  const fixture = cliFixture(kind, 'gh-cli-clients-');
  const cli = (args: string[], stdin = '') => runCli(args, fixture.env, stdin);

  it('shows, updates, rotates and deletes a client whose id starts with "-"', { timeout: MANY_RUNS_MS }, async () => {
    const added = JSON.parse(expectOk(await cli(['clients', 'add', '--name', 'Dash', '--redirect-uri', 'https://a.example/cb', '--json'])).stdout) as { client_id: string; client_secret: string };
    // No registration path hands out such an id (they are hex), but a row written by hand or an import may have one.
    await fixture.withDatabase((database) => database.query(
      `UPDATE oidc_clients SET client_id = $2, metadata = jsonb_set(metadata, '{client_id}', to_jsonb($2::text)) WHERE client_id = $1`, [added.client_id, DASH_ID],
    ));

    const shown = JSON.parse(expectOk(await cli(['clients', 'show', '--client', DASH_ID, '--json'])).stdout);
    expect(shown).toMatchObject({ client_id: DASH_ID, client_name: 'Dash', redirect_uris: ['https://a.example/cb'], has_secret: true });
    expect(JSON.stringify(shown)).not.toContain(added.client_secret);

    const updated = JSON.parse(expectOk(await cli([
      'clients', 'update', '--client', DASH_ID, '--add-redirect-uri', 'https://b.example/cb', '--access-token-ttl', '300', '--json',
    ])).stdout);
    expect(updated).toMatchObject({ client_id: DASH_ID, redirect_uris: ['https://a.example/cb', 'https://b.example/cb'], access_token_ttl: 300 });
    const removed = JSON.parse(expectOk(await cli([
      'clients', 'update', '--client', DASH_ID, '--remove-redirect-uri', 'https://a.example/cb', '--access-token-ttl', 'default', '--json',
    ])).stdout);
    expect(removed.redirect_uris).toEqual(['https://b.example/cb']);
    expect(removed).not.toHaveProperty('access_token_ttl');

    const rotated = JSON.parse(expectOk(await cli(['clients', 'rotate-secret', '--client', DASH_ID, '--json'])).stdout) as { client_secret: string; previous_secret_expires_at: string };
    expect(rotated.client_secret).toMatch(/^[\w-]{43}$/);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.now()).toBeGreaterThan(86_000_000);
    expect(JSON.parse(expectOk(await cli(['clients', 'show', '--client', DASH_ID, '--json'])).stdout))
      .toMatchObject({ previous_secret_expires_at: rotated.previous_secret_expires_at });

    const refused = await cli(['clients', 'delete', '--client', DASH_ID], 'not-the-id\n');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/nothing was deleted/);
    expectOk(await cli(['clients', 'show', '--client', DASH_ID]));
    const deleted = await cli(['clients', 'delete', '--client', DASH_ID], `${DASH_ID}\n`);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted ${DASH_ID}; 0 grant(s) revoked with their tokens\n`);
    expectOneLineFailure(await cli(['clients', 'show', '--client', DASH_ID]), 1, /no client with client_id -dash-client/);

    const audited = await fixture.withDatabase(async (database) => (await database.query<{ detail: Record<string, unknown> }>(
      'SELECT detail FROM audit_events WHERE type = $1 AND client_id = $2 ORDER BY occurred_at', ['admin.client_changed', DASH_ID],
    )).rows.map((row) => row.detail));
    expect(audited.map((detail) => [detail.action, detail.by])).toEqual([
      ['updated', 'admin-cli'], ['updated', 'admin-cli'], ['secret_rotated', 'admin-cli'], ['deleted', 'admin-cli'],
    ]);
    expect(JSON.stringify(audited)).not.toContain(rotated.client_secret);
  });

  it('refuses bad changes with one line and a non-zero exit, changing nothing', { timeout: MANY_RUNS_MS }, async () => {
    const added = JSON.parse(expectOk(await cli(['clients', 'add', '--name', 'Fixed', '--redirect-uri', 'https://a.example/cb', '--json'])).stdout) as { client_id: string };
    const id = added.client_id;
    expectOneLineFailure(await cli(['clients', 'update', '--client', id, '--grant', 'client_credentials']), 2, /redirect_uris/);
    expectOneLineFailure(await cli(['clients', 'update', '--client', id, '--redirect-uri', 'http://evil.example/cb']), 2, /redirect_uris: .*loopback/);
    expectOneLineFailure(await cli(['clients', 'update', '--client', id, '--id-token-ttl', '5']), 2, /id_token_ttl: at least 60 seconds/);
    expectOneLineFailure(await cli(['clients', 'update', '--client', id, '--access-token-ttl', 'soon']), 2, /whole number of seconds/);
    expectOneLineFailure(await cli(['clients', 'update', '--client', id, '--remove-redirect-uri', 'https://z.example/cb']), 2, /has no redirect URI/);
    expectOneLineFailure(await cli(['clients', 'update', '--client', id]), 2, /nothing to change/);
    expectOneLineFailure(await cli(['clients', 'update', '--name', 'x']), 2, /--client is required/);
    expectOneLineFailure(await cli(['clients', 'update', '--client', 'gatehouse-account', '--name', 'x']), 1, /built into Gatehouse/);
    expectOneLineFailure(await cli(['clients', 'rotate-secret', '--client', 'no-such-client']), 1, /no client with client_id no-such-client/);
    expectOneLineFailure(await cli(['clients', 'delete', '--client', 'gatehouse-account', '--yes']), 1, /built into Gatehouse/);
    expect(JSON.parse(expectOk(await cli(['clients', 'show', '--client', id, '--json'])).stdout)).toMatchObject({ redirect_uris: ['https://a.example/cb'] });
    expect(JSON.parse(expectOk(await cli(['clients', 'show', '--client', id, '--json'])).stdout)).not.toHaveProperty('id_token_ttl');

    for (const command of ['show', 'update', 'delete', 'rotate-secret']) {
      const help = expectOk(await cli(['clients', command, '--help']));
      expect(help.stdout).toContain(`Usage: gatehouse clients ${command} --client ID`);
    }
  });
});
