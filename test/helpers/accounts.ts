// Helpers for the self-service account tests: settings files, emailed links, byte-for-byte page
// comparison, and a relying party to sign in with.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Browser } from './browser.js';
import { storageKinds } from './database.js';
import { latestMailTo, linksIn } from './outbox.js';
import { testRedisUrl } from './redis.js';
import { buildAuthorizationRequest, discoverIssuer, exchangeCode, RP_REDIRECT_URI, signIn } from './relying-party.js';
import { startTestApp, type StartTestAppOptions, type TestApp } from './start-app.js';

/** Every storage the account flows must work on: PGlite, real Postgres, and Postgres + Redis. */
export const storageVariants: { name: string; options: StartTestAppOptions }[] = [
  ...storageKinds.map((kind) => ({ name: kind, options: { kind } })),
  ...(testRedisUrl ? [{ name: 'postgres + redis', options: { redis: true } }] : []),
];

/** Signs in on the real pages with offline_access and exchanges the code (refresh token included). */
export async function signInOffline(browser: Browser, rp: oidc.Configuration, email: string, password: string) {
  const result = await signIn(browser, rp, { email, password, scope: 'openid offline_access', extraParams: { prompt: 'consent' } });
  return exchangeCode(rp, result);
}

/** Whether a new authorization request from this browser is asked for a password (no live session). */
export async function asksForPassword(browser: Browser, rp: oidc.Configuration): Promise<boolean> {
  const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
  const page = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
  return page.status === 200 && page.body.includes('name="password"');
}

/** Writes SETTINGS_FILE overrides into a temp directory; remove() deletes it. */
export function createSettingsFiles(prefix: string): { file(name: string, settings: object): string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    file(name, settings) {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(settings));
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A page's HTML with the per-browser CSRF token blanked, for byte-for-byte comparison. */
export function withoutCsrf(body: string): string {
  return body.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""');
}

/**
 * The link to `linkPath` in the newest mail to `email`, which must have `subject`; the link carries
 * its secret in the query parameter `param` (`?token=` unless told otherwise).
 */
export async function linkFromMail(
  app: Pick<TestApp, 'issuer' | 'config'> & Partial<Pick<TestApp, 'app'>>, email: string, subject: string, linkPath: string, param = 'token',
): Promise<string> {
  if (app.app) await sendQueuedMail({ app: app.app });
  const mail = latestMailTo(app.config.mail.outboxDir, email);
  expect(mail?.subject).toBe(subject);
  const link = linksIn(mail!.text).find((candidate) => candidate.startsWith(`${app.issuer}${linkPath}?${param}=`));
  expect(link).toBeDefined();
  return link!;
}

/**
 * Sends what the account pages queued (they answer before their mail goes out), as the app's
 * worker would at its next poll.
 */
export async function sendQueuedMail(app: Pick<TestApp, 'app'>): Promise<void> {
  await app.app.accountMail.runOnce();
}

let emailCounter = 0;
/** `name.N@example.test`, with N counting up through the test file. */
export function uniqueEmail(name: string): string {
  emailCounter += 1;
  return `${name}.${emailCounter}@example.test`;
}

export async function emailVerified(app: TestApp, email: string): Promise<boolean | undefined> {
  const result = await app.context.database.query<{ email_verified: boolean }>('SELECT email_verified FROM users WHERE lower(email) = lower($1)', [email]);
  return result.rows[0]?.email_verified;
}

export async function relyingParty(app: TestApp): Promise<oidc.Configuration> {
  const client = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI] });
  return discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
}

/**
 * For one describe block: an app started with `options` and a relying party registered on it
 * (both set before the first test), closed after the last. Read them as `env.app`, `env.rp`.
 */
export function appWithRelyingParty(options: StartTestAppOptions = {}): { app: TestApp; rp: oidc.Configuration } {
  const env = {} as { app: TestApp; rp: oidc.Configuration };
  beforeAll(async () => {
    env.app = await startTestApp(options);
    env.rp = await relyingParty(env.app);
  });
  afterAll(async () => { await env.app?.close(); });
  return env;
}
