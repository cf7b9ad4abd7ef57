// Helpers for the self-service account tests: settings files, emailed links, byte-for-byte page
// comparison, and a relying party to sign in with.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as oidc from 'openid-client';
import { expect } from 'vitest';
import { latestMailTo, linksIn } from './outbox.js';
import { discoverIssuer, RP_REDIRECT_URI } from './relying-party.js';
import type { TestApp } from './start-app.js';

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

/** The link to `linkPath` in the newest mail to `email`, which must have `subject`. */
export function linkFromMail(app: TestApp, email: string, subject: string, linkPath: string): string {
  const mail = latestMailTo(app.config.mail.outboxDir, email);
  expect(mail?.subject).toBe(subject);
  const link = linksIn(mail!.text).find((candidate) => candidate.startsWith(`${app.issuer}${linkPath}?token=`));
  expect(link).toBeDefined();
  return link!;
}

export async function emailVerified(app: TestApp, email: string): Promise<boolean | undefined> {
  const result = await app.context.database.query<{ email_verified: boolean }>('SELECT email_verified FROM users WHERE lower(email) = lower($1)', [email]);
  return result.rows[0]?.email_verified;
}

export async function relyingParty(app: TestApp): Promise<oidc.Configuration> {
  const client = await app.context.clients.register({ name: 'Notebook', redirectUris: [RP_REDIRECT_URI] });
  return discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
}
