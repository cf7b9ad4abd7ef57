// Upstream identity providers from the environment and the settings file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-federation-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = { NODE_ENV: 'test', DATA_DIR: dir, ENCRYPTION_KEY: 'k'.repeat(40), COOKIE_SECRETS: 'c'.repeat(40) };

function settingsFile(providers: unknown[]): string {
  const file = path.join(dir, `settings-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ federation: { providers } }));
  return file;
}

const generic = { id: 'corp', displayName: 'Corp SSO', issuer: 'https://sso.corp.example', clientId: 'gatehouse', clientSecretEnv: 'CORP_SECRET' };

describe('federation configuration', () => {
  it('has no upstream by default', () => {
    expect(loadConfig({ env: BASE }).upstreams).toEqual([]);
  });

  it('reads Google and Microsoft from their variables, and refuses half a pair', () => {
    const config = loadConfig({ env: { ...BASE, GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 's', MICROSOFT_CLIENT_ID: 'm', MICROSOFT_CLIENT_SECRET: 't' } });
    expect(config.upstreams.map((upstream) => [upstream.id, upstream.displayName])).toEqual([['google', 'Google'], ['microsoft', 'Microsoft']]);
    expect(config.upstreams[1]).toMatchObject({ tenant: 'common' });
    expect(() => loadConfig({ env: { ...BASE, GOOGLE_CLIENT_ID: 'g' } })).toThrow('GOOGLE_CLIENT_SECRET: required when GOOGLE_CLIENT_ID is set');
  });

  it('takes a generic upstream secret from the variable it names', () => {
    const config = loadConfig({ env: { ...BASE, SETTINGS_FILE: settingsFile([generic]), CORP_SECRET: 'from-the-environment' } });
    expect(config.upstreams).toEqual([{
      kind: 'oidc', id: 'corp', displayName: 'Corp SSO', issuer: 'https://sso.corp.example', clientId: 'gatehouse',
      clientSecret: 'from-the-environment', scopes: ['openid', 'email', 'profile'], trustUpstreamMfa: false,
    }]);
    expect(() => loadConfig({ env: { ...BASE, SETTINGS_FILE: settingsFile([generic]) } })).toThrow('CORP_SECRET: required by federation.providers.0.clientSecretEnv');
  });

  it('refuses duplicate ids, the built-in ids, and http issuers in production', () => {
    expect(() => loadConfig({ env: { ...BASE, CORP_SECRET: 'x', SETTINGS_FILE: settingsFile([generic, generic]) } })).toThrow('provider ids must be unique');
    expect(() => loadConfig({ env: { ...BASE, CORP_SECRET: 'x', SETTINGS_FILE: settingsFile([{ ...generic, id: 'google' }]) } })).toThrow('google and microsoft');
    expect(() => loadConfig({
      env: { ...BASE, NODE_ENV: 'production', ISSUER: 'https://id.example', SMTP_URL: 'smtp://mail.example', MAIL_FROM: 'id@example.com', CORP_SECRET: 'x', SETTINGS_FILE: settingsFile([{ ...generic, issuer: 'http://sso.corp.example' }]) },
    })).toThrow('federation.providers.0.issuer: must be an https:// URL in production');
  });
});
