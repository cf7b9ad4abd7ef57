// The client cache behind a running server: client authentication still runs on every request
// (a cached client with a wrong secret is refused), and the security headers stay on protocol answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe('token endpoint with the client cache on', () => {
  let app: TestApp;
  let clientId: string;
  let clientSecret: string;

  beforeAll(async () => {
    app = await startTestApp();
    const registered = await app.context.clients.register({ name: 'Job', grants: ['client_credentials'] });
    clientId = registered.clientId;
    clientSecret = registered.clientSecret!;
  });
  afterAll(async () => { await app?.close(); });

  const token = (secret: string) => fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });

  it('is on by default', () => {
    expect(app.config.settings.clientCacheSeconds).toBeGreaterThan(0);
  });

  it('still refuses a wrong secret for a client it has cached', async () => {
    expect((await token(clientSecret)).status).toBe(200);
    const wrong = await token(`${clientSecret}x`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const answer = await token(clientSecret);
    expect(answer.status).toBe(200);
    for (const header of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'cross-origin-opener-policy', 'permissions-policy']) {
      expect(answer.headers.get(header), header).toEqual(expect.any(String));
    }
  });
});
