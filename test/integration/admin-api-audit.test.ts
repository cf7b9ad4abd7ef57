// The admin API's audit trail, back-channel logout deliveries and signing keys: filters and paging
// as `gatehouse audit` has them, field-by-field 400s, and a delivery that failed for good (its app
// was down for every attempt) queued again by an admin and delivered once the app is back.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles } from '../helpers/accounts.js';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin, ADMIN_TEST_PASSWORD } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { cliEnvironment, runCli } from '../helpers/gatehouse-process.js';
import { discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { waitFor } from '../helpers/wait-for.js';

const settings = createSettingsFiles('gh-admin-audit-');
afterAll(() => settings.remove());
// One attempt, then failed for good; polled often so the test does not wait.
const ONE_ATTEMPT = {
  sessions: { backchannelLogout: { allowPrivateAddresses: true, pollIntervalMs: 100, maxAttempts: 1, baseDelaySeconds: 1, maxDelaySeconds: 1, timeoutMs: 1000 } },
};

type Delivery = { id: string; client_id: string; status: string; attempts: number; last_error: string | null };

/** A client whose back-channel endpoint is down, a person signed in to it, and their session ended by an admin: its delivery fails for good. */
async function failedDelivery(app: TestApp, token: string, email: string) {
  const down = await startBackchannelReceiver();
  await down.stop();
  const client = await app.context.clients.register({ name: 'Down app', redirectUris: [RP_REDIRECT_URI], backchannelLogoutUri: down.uri });
  const rp = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  const person = await app.context.users.create({ email, password: ADMIN_TEST_PASSWORD, emailVerified: true });
  await exchangeCode(rp, await signIn(new Browser(), rp, { email: person.email, password: ADMIN_TEST_PASSWORD }));
  expect((await callAdminApi(app, `/users/${person.id}/sessions`, token, { method: 'DELETE' })).status).toBe(200);
  const failed = await waitFor('the delivery to fail', async () => {
    const { deliveries } = await (await callAdminApi(app, `/logout-deliveries?status=failed&client_id=${client.clientId}`, token)).json() as { deliveries: Delivery[] };
    return deliveries[0];
  });
  return { failed, clientId: client.clientId, port: down.port };
}

async function statusOf(app: TestApp, token: string, clientId: string, id: string): Promise<string | undefined> {
  const { deliveries } = await (await callAdminApi(app, `/logout-deliveries?client_id=${clientId}`, token)).json() as { deliveries: Delivery[] };
  return deliveries.find((row) => row.id === id)?.status;
}

describe('admin API: audit trail, logout deliveries, signing keys', () => {
  let app: TestApp;
  let token: string;
  let adminId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { SETTINGS_FILE: settings.file('one-attempt', ONE_ATTEMPT) } });
    adminId = await createAdmin(app, 'auditor@example.test');
    ({ token } = await adminToken(app, await adminConsoleClient(app), 'auditor@example.test'));
  });
  afterAll(async () => { await app?.close(); });

  it('lists audit events with the CLI\'s filters, a page at a time', async () => {
    await app.context.audit.flush();
    const first = await callAdminApi(app, '/audit?type=login.success&limit=1', token);
    expect(first.status).toBe(200);
    const page = await first.json() as { events: { type: string; account_id: string }[]; next: string | null };
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ type: 'login.success', account_id: adminId });
    const byEmail = await (await callAdminApi(app, '/audit?email=auditor@example.test&since=1h', token)).json() as { events: { type: string }[] };
    expect(byEmail.events.map((event) => event.type)).toContain('login.success');
  });

  it('refuses bad filters with 400 and says which field is wrong', async () => {
    for (const [query, field] of [['since=yesterday', 'since'], ['limit=0', 'limit'], ['type=nothing', 'type'], ['account=42', 'account'], ['colour=red', 'colour']] as const) {
      const response = await callAdminApi(app, `/audit?${query}`, token);
      expect(response.status, query).toBe(400);
      const body = await response.json() as { error: string; fields: Record<string, string> };
      expect(body.error).toBe('invalid_input');
      expect(Object.keys(body.fields), query).toContain(field);
    }
  });

  it('lists the signing keys without private parts', async () => {
    const response = await callAdminApi(app, '/keys', token);
    expect(response.status).toBe(200);
    const { keys } = await response.json() as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(Object.keys(key).sort()).toEqual(['alg', 'created_at', 'kid', 'status']);
  });

  it('shows a delivery that failed for good, retries it on an admin\'s word (audited), and it is delivered once the app is back', async () => {
    const { failed, clientId, port } = await failedDelivery(app, token, 'leaver@example.test');
    const client = { clientId };
    expect(failed).toMatchObject({ client_id: client.clientId, status: 'failed', attempts: 1 });
    expect(failed.last_error).toBeTruthy();
    const summary = await (await callAdminApi(app, '/logout-deliveries/summary', token)).json() as { clients: { client_id: string; failed: number }[] };
    expect(summary.clients.find((row) => row.client_id === client.clientId)).toMatchObject({ failed: 1 });

    const receiver: BackchannelReceiver = await startBackchannelReceiver(port);
    try {
      const retried = await callAdminApi(app, `/logout-deliveries/${failed.id}/retry`, token, { method: 'POST' });
      expect(retried.status).toBe(200);
      expect(await retried.json()).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
      await receiver.waitFor(async () => true);
      await waitFor('the delivery to go through', async () => (await statusOf(app, token, clientId, failed.id)) === 'delivered' || undefined);
      // Only a failed delivery can be retried.
      expect((await callAdminApi(app, `/logout-deliveries/${failed.id}/retry`, token, { method: 'POST' })).status).toBe(409);
      expect((await callAdminApi(app, '/logout-deliveries/00000000-0000-4000-8000-000000000000/retry', token, { method: 'POST' })).status).toBe(404);
      await app.context.audit.flush();
      const rows = await app.context.database.query<{ detail: Record<string, unknown> }>(
        "SELECT detail FROM audit_events WHERE type = 'admin.client_changed' AND client_id = $1", [client.clientId],
      );
      expect(rows.rows.map((row) => row.detail)).toContainEqual(expect.objectContaining({ action: 'logout_delivery_retried', delivery: failed.id, by: `admin:${adminId}` }));
    } finally {
      await receiver.stop();
    }
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('gatehouse logout-deliveries list|retry', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let token: string;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-deliveries-cli-'));

  beforeAll(async () => {
    app = await startTestApp({ kind: 'postgres', env: { SETTINGS_FILE: settings.file('one-attempt', ONE_ATTEMPT) } });
    await createAdmin(app, 'cli-auditor@example.test');
    ({ token } = await adminToken(app, await adminConsoleClient(app), 'cli-auditor@example.test'));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists a failed delivery by id and queues it again', { timeout: 60_000 }, async () => {
    const { failed, clientId, port } = await failedDelivery(app, token, 'cli-leaver@example.test');
    const env = cliEnvironment(dataDir, { DATABASE_URL: app.testDatabase.url!, ENCRYPTION_KEY: app.secrets.encryptionKey });
    const listed = await runCli(['logout-deliveries', 'list', '--status', 'failed', '--client', clientId, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Delivery)).toEqual([expect.objectContaining({ id: failed.id, status: 'failed' })]);
    expect((await runCli(['logout-deliveries', 'list', '--status', 'lost'], env)).code).toBe(2);

    const receiver = await startBackchannelReceiver(port);
    try {
      const retried = await runCli(['logout-deliveries', 'retry', '--delivery', failed.id], env);
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.stdout).toContain(`queued delivery ${failed.id}`);
      await waitFor('the delivery to go through', async () => (await statusOf(app, token, clientId, failed.id)) === 'delivered' || undefined);
      const again = await runCli(['logout-deliveries', 'retry', '--delivery', failed.id], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('only a failed delivery can be retried');
    } finally {
      await receiver.stop();
    }
  });
});
