// SIGTERM during a deploy: the server stops accepting, finishes the request in flight, closes its
// storage and exits 0.
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnvironment, collect, freePort, runCli, spawnCli, waitForHealth } from '../helpers/gatehouse-process.js';

/** Sends a token request whose body arrives in two halves, so it is in flight for a while. */
function slowTokenRequest(port: number, basic: string): { sendRest(): void; response: Promise<string> } {
  const body = 'grant_type=client_credentials';
  const socket = connect(port, '127.0.0.1');
  socket.write([
    'POST /token HTTP/1.1', `Host: 127.0.0.1:${port}`, `Authorization: ${basic}`,
    'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${body.length}`, 'Connection: close', '', body.slice(0, 10),
  ].join('\r\n'));
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk; });
  const response = new Promise<string>((resolve, reject) => {
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
  return { sendRest: () => socket.write(body.slice(10)), response };
}

describe('graceful shutdown', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-stop-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes the request in flight, refuses new ones, and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const env = cliEnvironment(dataDir, { PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer });
    const added = await runCli(['clients', 'add', '--name', 'Job', '--grant', 'client_credentials', '--json'], env);
    expect(added.code, added.stderr).toBe(0);
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(added.stdout) as Record<string, string>;

    const server = spawnCli(['serve'], env);
    const exited = collect(server);
    await waitForHealth(issuer, server, 60_000);

    const inFlight = slowTokenRequest(port, `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));

    // No longer accepting: a new connection is refused while the old one drains.
    await expect(fetch(`${issuer}/healthz`)).rejects.toThrow();

    inFlight.sendRest();
    const response = await inFlight.response;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('"access_token"');

    const result = await exited;
    expect(result.code).toBe(0);
    expect(existsSync(path.join(dataDir, 'gatehouse.pid'))).toBe(false);
  });
});
