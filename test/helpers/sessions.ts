// Helpers for the session tests: the account pages signed in to on the real form, the
// relying party's side of back-channel logout — a tiny HTTP receiver for logout tokens and a check
// of each token as OpenID Back-Channel Logout 1.0 §2.6 tells a client to validate it — and an SSE
// reader for /account/events and /admin/api/events.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import type { Browser, Page } from './browser.js';
import type { TestApp } from './start-app.js';

export const SESSION_TEST_PASSWORD = 'a long and memorable passphrase';

/** Opens an account page, signing in on the real login form (with "remember me" if asked) when sent there. */
export async function openAccountPage(app: TestApp, browser: Browser, path: string, email: string, options: { remember?: boolean } = {}): Promise<Page> {
  let page = await browser.get(`${app.issuer}${path}`);
  if (page.body.includes('name="password"') && /\/interaction\//.test(page.url)) {
    const fields = { email, password: SESSION_TEST_PASSWORD, ...(options.remember ? { remember: 'yes' } : {}) };
    page = await browser.submit(page, { button: 'Sign in', fields });
  }
  return page;
}

/** The sessions listed on /account/sessions, by uid, in page order. */
export function sessionUidsOn(page: Page): string[] {
  return [...page.body.matchAll(/<li data-session="([^"]+)">/g)].map((match) => match[1]!);
}

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface BackchannelReceiver {
  uri: string;
  port: number;
  tokens: string[];
  /** Stops answering (connections are refused) until start() again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Resolves with the first token (from `from` on) the predicate accepts, or fails after timeoutMs. */
  waitFor(predicate: (token: string) => boolean | Promise<boolean>, options?: { timeoutMs?: number; from?: number }): Promise<string>;
}

export async function startBackchannelReceiver(port = 0): Promise<BackchannelReceiver> {
  const tokens: string[] = [];
  let server: Server | undefined;
  let boundPort = port;
  async function start(): Promise<void> {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-www-form-urlencoded' || !token) {
          res.writeHead(400).end();
          return;
        }
        tokens.push(token);
        res.writeHead(200, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(boundPort, '127.0.0.1', resolve));
    boundPort = (server.address() as AddressInfo).port;
  }
  await start();
  const receiver: BackchannelReceiver = {
    get uri() { return `http://127.0.0.1:${boundPort}/backchannel-logout`; },
    get port() { return boundPort; },
    tokens,
    async stop() {
      await new Promise<void>((resolve) => { server!.close(() => resolve()); server!.closeAllConnections(); });
    },
    start,
    async waitFor(predicate, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      for (;;) {
        for (const token of tokens.slice(options.from ?? 0)) if (await predicate(token)) return token;
        if (Date.now() > deadline) throw new Error(`no matching logout token within the time (got ${tokens.length})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  return receiver;
}

/**
 * Validates a logout token as §2.6 asks of a client: signature with the issuer's JWKS, iss, aud,
 * iat, exp, jti, the events claim, sub and/or sid, and no nonce; typ logout+jwt (§2.4).
 */
export async function validateLogoutToken(token: string, options: { issuer: string; clientId: string }): Promise<JWTPayload & { sid?: string; events: Record<string, unknown> }> {
  const discovery = await (await fetch(`${options.issuer}/.well-known/openid-configuration`)).json() as { jwks_uri: string; backchannel_logout_supported?: boolean };
  expect(discovery.backchannel_logout_supported).toBe(true);
  expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: options.issuer, audience: options.clientId, typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti', 'events'],
  });
  expect(payload.nonce).toBeUndefined();
  expect((payload.events as Record<string, unknown>)[LOGOUT_EVENT]).toEqual({});
  expect(payload.sub ?? payload.sid).toBeDefined();
  return payload as JWTPayload & { sid?: string; events: Record<string, unknown> };
}

export interface ReceivedEvent { type: string; data: Record<string, unknown> }

/**
 * An open event stream (/account/events with this browser's cookies, or /admin/api/events with an
 * Authorization header and no browser); events are collected as they come.
 */
export async function openEventStream(browser: Browser | undefined, url: string, headers: Record<string, string> = {}): Promise<{ events: ReceivedEvent[]; waitFor(type: string, predicate?: (data: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<ReceivedEvent>; close(): void; ended: Promise<void> }> {
  const controller = new AbortController();
  const cookie = browser ? Object.entries(browser.cookiesFor(url)).map(([name, value]) => `${name}=${value}`).join('; ') : '';
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...(cookie ? { cookie } : {}), ...headers }, signal: controller.signal, redirect: 'manual' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: ReceivedEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (type && data) events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    async waitFor(type, predicate = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((event) => event.type === type && predicate(event.data));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${type} event within the time; got ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => controller.abort(),
    /** Settles when the server ends the stream (or close() is called). */
    ended,
  };
}
