// securityHeaders on a bare Koa app: the same headers on every answer (JSON and HTML alike), HSTS only
// over https, and form-action widened only on oidc-provider's HTML answers that lead to a client.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { securityHeaders } from '../../src/http/security-headers.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
});

async function serve(https: boolean, answer: Koa.Middleware): Promise<string> {
  const app = new Koa();
  app.use(securityHeaders({ https }));
  app.use(answer);
  const server = createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const EXPECTED = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

// What oidc-provider puts on ctx for a form_post answer to a client registered with this redirect_uri.
function asProvider(type: string): Koa.Middleware {
  return (ctx) => {
    Object.defineProperty(ctx, 'oidc', {
      value: { client: { redirectUriAllowed: (uri: string) => uri === 'https://rp.example/cb', postLogoutRedirectUriAllowed: () => false }, params: { redirect_uri: 'https://rp.example/cb' } },
    });
    ctx.type = type;
    ctx.body = type.includes('json') ? '{}' : '<!doctype html><form></form>';
  };
}

describe('securityHeaders', () => {
  it('sets every header on a JSON answer, and HSTS only over https', async () => {
    for (const https of [true, false]) {
      const response = await fetch(await serve(https, (ctx) => { ctx.body = { ok: true }; }));
      expect(Object.fromEntries(Object.keys(EXPECTED).map((name) => [name, response.headers.get(name)]))).toEqual(EXPECTED);
      expect(response.headers.get('content-security-policy')).toContain("form-action 'self';");
      expect(response.headers.get('permissions-policy')).toContain('camera=()');
      expect(response.headers.get('strict-transport-security')).toBe(https ? 'max-age=63072000; includeSubDomains' : null);
    }
  });

  it('widens form-action on a provider HTML answer (any charset, any case) and not on its JSON', async () => {
    for (const type of ['text/html; charset=utf-8', 'TEXT/HTML']) {
      const html = await fetch(await serve(false, asProvider(type)));
      expect(html.headers.get('content-security-policy')).toContain("form-action 'self' https://rp.example;");
    }
    const json = await fetch(await serve(false, asProvider('application/json')));
    expect(json.headers.get('content-security-policy')).toContain("form-action 'self';");
  });

  it('leaves form-action alone on our own HTML pages (no ctx.oidc)', async () => {
    const page = await fetch(await serve(false, (ctx) => { ctx.type = 'html'; ctx.body = '<p>hi</p>'; }));
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self';");
  });
});
