// Our Koa middleware on a bare Koa app: error mapping, CSRF tokens and rotation, form limits,
// and the CSP form-action widening.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import Koa from 'koa';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { AppError, BusyError, MailDeliveryError, StorageUnavailableError } from '../../src/errors.js';
import { formOf, parseForm } from '../../src/http/body.js';
import { createCsrf } from '../../src/http/csrf.js';
import { createErrorHandler } from '../../src/http/error-handler.js';
import { createRenderer } from '../../src/http/render.js';
import { createTranslator } from '../../src/i18n/translator.js';
import { allowFormTarget, formTargetSource, securityHeaders } from '../../src/http/security-headers.js';

const renderer = createRenderer({ viewsDir: path.join(PROJECT_ROOT, 'views'), cache: false, translator: createTranslator({ dir: path.join(PROJECT_ROOT, 'locales') }) });
const secretA = 'a'.repeat(32);
const secretB = 'b'.repeat(32);
let servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
});

async function serve(app: Koa): Promise<string> {
  const server = createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function appThrowing(error: unknown) {
  const { logger, lines } = capturingLogger();
  const app = new Koa();
  app.use(securityHeaders({ https: true }));
  app.use(createErrorHandler({ logger, renderer }));
  app.use(parseForm());
  app.use(() => { throw error; });
  return { app, lines };
}

describe('error handler', () => {
  it('answers an unexpected error with a 500 page, logging name, message and stack but never the body', async () => {
    const { app, lines } = appThrowing(new TypeError('kaboom'));
    const base = await serve(app);
    const response = await fetch(base, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=hunter2-secret',
    });
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(html).toContain('Something went wrong');
    expect(html).not.toContain('kaboom');
    expect(html).not.toContain('TypeError');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    const log = lines.join('');
    expect(log).toContain('kaboom');
    expect(log).toContain('TypeError');
    expect(log).not.toContain('hunter2-secret');
  });

  it('answers storage faults with 503 and Retry-After, whether typed or a raw pg/socket error', async () => {
    for (const error of [
      new StorageUnavailableError(new Error('down')),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      const base = await serve(appThrowing(error).app);
      const response = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
    }
  });

  it('answers a deliberate 503 (mail down, too busy) with its own message and Retry-After, even over a socket cause', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:587'), { code: 'ECONNREFUSED' });
    for (const error of [new MailDeliveryError(cause), new BusyError('Too many sign-ins right now.')]) {
      const base = await serve(appThrowing(error).app);
      const response = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const body = await response.json() as { error: string; error_description: string };
      expect(body).toEqual({ error: 'temporarily_unavailable', error_description: error.message });
      expect(body.error_description).not.toContain('10.0.0.5');
    }
  });

  it('answers an AppError with its status and message, as JSON when JSON is preferred', async () => {
    const base = await serve(appThrowing(new AppError('No <such> thing.', { status: 404, code: 'not_found' })).app);
    const page = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('No &lt;such&gt; thing.');
    const json = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: 'not_found', error_description: 'No <such> thing.' });
  });
});

describe('form parsing', () => {
  it('answers 415 for another content type and 413 past the limit', async () => {
    const { app } = appThrowing(new Error('not reached'));
    const base = await serve(app);
    expect((await fetch(base, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    const big = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a='.padEnd(17 * 1024, 'x') });
    expect(big.status).toBe(413);
  });
});

describe('csrf', () => {
  function csrfApp(secrets: string[]) {
    const csrf = createCsrf({ secrets, secure: false });
    const { logger } = capturingLogger();
    const app = new Koa();
    app.use(createErrorHandler({ logger, renderer }));
    app.use(async (ctx, next) => {
      if (ctx.method === 'GET') {
        ctx.body = csrf.issue(ctx);
        return;
      }
      await next();
    });
    app.use(parseForm());
    app.use(csrf.verify);
    app.use((ctx) => { ctx.body = `ok ${formOf(ctx).get('x')}`; });
    return app;
  }

  it('accepts the token issued with the cookie, also after the secrets rotate; rejects others', async () => {
    const base = await serve(csrfApp([secretA]));
    const issued = await fetch(base);
    const cookie = issued.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^gatehouse\.csrf=[A-Za-z0-9_-]{43}; path=\/; .*samesite=lax; httponly$/i);
    const token = await issued.text();
    const cookieHeader = cookie.split(';')[0]!;
    const post = (url: string, body: string, headers: Record<string, string> = { cookie: cookieHeader }) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

    expect(await (await post(base, `csrf=${token}&x=1`)).text()).toBe('ok 1');
    expect((await post(base, 'x=1')).status).toBe(403);
    expect((await post(base, `csrf=${token}&x=1`, {})).status).toBe(403);

    const rotated = await serve(csrfApp([secretB, secretA]));
    expect((await post(rotated, `csrf=${token}&x=2`)).status).toBe(200);
    const retired = await serve(csrfApp([secretB]));
    expect((await post(retired, `csrf=${token}&x=3`)).status).toBe(403);
  });

  it('uses a __Host- cookie marked Secure over https', () => {
    const csrf = createCsrf({ secrets: [secretA], secure: true });
    const app = new Koa();
    const set: [string, string, Record<string, unknown>][] = [];
    const ctx = app.createContext({ headers: {}, socket: { encrypted: true } } as never, { getHeader() {}, setHeader() {} } as never);
    ctx.cookies.set = ((name: string, value: string, options: Record<string, unknown>) => { set.push([name, value, options]); return ctx.cookies; }) as never;
    csrf.issue(ctx);
    expect(set[0]![0]).toBe('__Host-gatehouse.csrf');
    expect(set[0]![2]).toMatchObject({ secure: true, httpOnly: true, sameSite: 'lax', path: '/' });
  });
});

describe('form-action widening', () => {
  it('derives a source expression from an origin or a private-use scheme, never a path', () => {
    expect(formTargetSource('https://rp.example/cb?x=1')).toBe('https://rp.example');
    expect(formTargetSource('http://127.0.0.1:51234/cb')).toBe('http://127.0.0.1:51234');
    expect(formTargetSource('com.example.app:/callback')).toBe('com.example.app:');
    expect(formTargetSource('not a url')).toBeUndefined();
  });

  it('adds the origin to form-action once and leaves other directives alone', () => {
    const ctx = new Koa().createContext({ headers: {} } as never, { getHeader() {}, setHeader() {} } as never);
    const headers: Record<string, string> = { 'content-security-policy': "default-src 'self'; form-action 'self'; frame-ancestors 'none'" };
    ctx.response.get = ((name: string) => headers[name.toLowerCase()] ?? '') as never;
    ctx.set = ((name: string, value: string) => { headers[name.toLowerCase()] = value; }) as never;
    allowFormTarget(ctx, 'https://rp.example/cb');
    allowFormTarget(ctx, 'https://rp.example/other');
    expect(headers['content-security-policy']).toBe("default-src 'self'; form-action 'self' https://rp.example; frame-ancestors 'none'");
  });
});
