import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const strong = 'x'.repeat(32);
let dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

const production = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', ENCRYPTION_KEY: strong, COOKIE_SECRETS: strong, SMTP_URL: 'smtps://mailer:pass@smtp.example.com', MAIL_FROM: 'id@example.com' };

describe('loadConfig', () => {
  it('accepts a complete production configuration', () => {
    const config = loadConfig({ env: production });
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.host).toBe('0.0.0.0');
    expect(config.settings.argon2).toEqual({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
  });

  it('reads TRUST_PROXY as the number of proxies whose X-Forwarded-For entries count', () => {
    expect(loadConfig({ env: production }).trustedProxyHops).toBe(0);
    expect(loadConfig({ env: { ...production, TRUST_PROXY: 'false' } }).trustedProxyHops).toBe(0);
    expect(loadConfig({ env: { ...production, TRUST_PROXY: 'true' } }).trustedProxyHops).toBe(1);
    expect(loadConfig({ env: { ...production, TRUST_PROXY: '2' } }).trustedProxyHops).toBe(2);
    expect(() => loadConfig({ env: { ...production, TRUST_PROXY: 'yes' } })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ env: { ...production, TRUST_PROXY: '0' } })).toThrow(/TRUST_PROXY/);
  });

  it('adds the admin API as an API of its own, and refuses a configured API at its URL', () => {
    const config = loadConfig({ env: production });
    expect(config.settings.resourceServers['https://id.example.com/admin/api']).toEqual({
      scope: 'admin', accessTokenFormat: 'opaque', jwtAlgorithm: 'ES256', accessTokenTtlSeconds: 600,
    });
    const settings = { ...config.settings, resourceServers: { 'https://id.example.com/admin/api': { scope: 'x', accessTokenFormat: 'jwt' as const, jwtAlgorithm: 'ES256' as const } } };
    expect(() => loadConfig({ env: production, settings })).toThrow(/resourceServers: https:\/\/id\.example\.com\/admin\/api is Gatehouse's own admin API/);
  });

  it.each([
    ['ENCRYPTION_KEY', { ...production, ENCRYPTION_KEY: undefined }, /ENCRYPTION_KEY: required in production/],
    ['short ENCRYPTION_KEY', { ...production, ENCRYPTION_KEY: 'short' }, /ENCRYPTION_KEY must be at least 32 bytes/],
    ['COOKIE_SECRETS', { ...production, COOKIE_SECRETS: undefined }, /COOKIE_SECRETS: required in production/],
    ['a short cookie secret', { ...production, COOKIE_SECRETS: `${strong},short` }, /COOKIE_SECRETS: every secret must be at least 32 bytes/],
    ['http issuer', { ...production, ISSUER: 'http://id.example.com' }, /ISSUER: must be an https:\/\/ URL in production/],
    ['missing issuer', { ...production, ISSUER: undefined }, /ISSUER: required in production/],
    ['bad port', { ...production, PORT: 'eighty' }, /PORT/],
    ['bad database url', { ...production, DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ URL/],
  ])('refuses to start in production with %s, naming the setting', (_label, env, message) => {
    expect(() => loadConfig({ env: env as NodeJS.ProcessEnv })).toThrow(ConfigError);
    expect(() => loadConfig({ env: env as NodeJS.ProcessEnv })).toThrow(message);
  });

  it('generates development secrets once into DATA_DIR and says so', () => {
    const dataDir = tempDir();
    const notices: string[] = [];
    const first = loadConfig({ env: { DATA_DIR: dataDir }, notice: (m) => notices.push(m) });
    const second = loadConfig({ env: { DATA_DIR: dataDir }, notice: (m) => notices.push(m) });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('secrets.json');
    expect(second.encryptionKey).toBe(first.encryptionKey);
    expect(second.cookieSecrets).toEqual(first.cookieSecrets);
    expect(Buffer.byteLength(first.encryptionKey)).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')).encryptionKey).toBe(first.encryptionKey);
    expect(first.issuer).toBe('http://localhost:3000');
  });

  it('lets the environment tighten argon2 but never go below the OWASP floor', () => {
    const config = loadConfig({ env: { ...production, ARGON2_MEMORY_KIB: '65536' } });
    expect(config.settings.argon2.memoryKiB).toBe(65536);
    expect(() => loadConfig({ env: { ...production, ARGON2_ITERATIONS: 'zero' } })).toThrow(/ARGON2_ITERATIONS/);
    // OWASP Password Storage Cheat Sheet floor, in production and everywhere else.
    for (const NODE_ENV of ['production', 'development', 'test']) {
      expect(() => loadConfig({ env: { ...production, NODE_ENV, ARGON2_MEMORY_KIB: '1024' } })).toThrow(/ARGON2_MEMORY_KIB must be at least 19456/);
      expect(() => loadConfig({ env: { ...production, NODE_ENV, ARGON2_ITERATIONS: '1' } })).toThrow(/ARGON2_ITERATIONS must be at least 2/);
    }
  });
});
