// Walk every route our routers register, and every endpoint discovery
// names, and check the security headers on each answer — pages, errors, JSON and protocol alike.
import type Router from '@koa/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

interface Route { method: string; path: string }

/** Every method + path of the @koa/router routers mounted on the provider (koa-router tags routes() with .router). */
function ourRoutes(app: TestApp): Route[] {
  const routes: Route[] = [];
  for (const middleware of app.app.provider.middleware as Array<{ router?: Router }>) {
    for (const layer of middleware.router?.stack ?? []) {
      for (const method of layer.methods.filter((m) => m === 'GET' || m === 'POST')) {
        routes.push({ method, path: String(layer.path).replace(/:[a-z]+/gi, 'unknown-id') });
      }
    }
  }
  return routes;
}

function expectStrictHeaders(response: Response, route: string): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp, route).toContain("frame-ancestors 'none'");
  expect(csp, route).toContain("object-src 'none'");
  expect(csp, route).toContain("base-uri 'none'");
  expect(csp, route).not.toContain('unsafe-inline');
  expect(response.headers.get('x-content-type-options'), route).toBe('nosniff');
  expect(response.headers.get('referrer-policy'), route).toBe('no-referrer');
  expect(response.headers.get('x-frame-options'), route).toBe('DENY');
  for (const cookie of response.headers.getSetCookie()) {
    expect(cookie.toLowerCase(), `${route}: ${cookie.split('=')[0]}`).toContain('httponly');
    expect(cookie.toLowerCase(), `${route}: ${cookie.split('=')[0]}`).toContain('samesite=lax');
  }
}

describe('security headers on every route', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  it('walks our routers: every page, form target and JSON answer carries them, pages are no-store', async () => {
    const routes = ourRoutes(app);
    expect(routes.length).toBeGreaterThan(30);
    expect(routes).toContainEqual({ method: 'GET', path: '/account' });
    expect(routes).toContainEqual({ method: 'POST', path: '/interaction/unknown-id/login' });
    for (const route of routes) {
      const response = await fetch(`${app.issuer}${route.path}`, {
        method: route.method,
        redirect: 'manual',
        ...(route.method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' } : {}),
      });
      const label = `${route.method} ${route.path} (${response.status})`;
      expect(response.status, label).toBeLessThan(500);
      expectStrictHeaders(response, label);
      if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
        expect(response.headers.get('cache-control'), label).toBe('no-store');
      }
      await response.arrayBuffer();
    }
  });

  it('covers oidc-provider\'s endpoints too, and token answers are no-store', async () => {
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Record<string, string>;
    const endpoints = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'introspection_endpoint', 'revocation_endpoint']
      .map((name) => discovery[name]!);
    for (const endpoint of [`${app.issuer}/.well-known/openid-configuration`, ...endpoints]) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(endpoint, {
          method, redirect: 'manual',
          ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' } : {}),
        });
        const label = `${method} ${new URL(endpoint).pathname} (${response.status})`;
        expect(response.status, label).toBeLessThan(500);
        expectStrictHeaders(response, label);
        await response.arrayBuffer();
      }
    }
    const client = await app.context.clients.register({ name: 'Headers', redirectUris: [], grants: ['client_credentials'] });
    const token = await fetch(discovery.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    expectStrictHeaders(token, 'token 200');
  });
});
