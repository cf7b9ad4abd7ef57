import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { mailerOptions } from '../../src/services/email.js';

const strong = 'x'.repeat(32);
const production = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', ENCRYPTION_KEY: strong, COOKIE_SECRETS: strong };
const SMTP_URL = 'smtps://mailer:s3cret-pass@smtp.example.com:465';
const logger = pino({ level: 'silent' });

let dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-mail-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ env, notice: () => undefined });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to refuse');
}

describe('mail configuration', () => {
  it('refuses dev mail in production, naming SMTP_URL and the explicit opt-in', () => {
    const error = configError(production);
    expect(error.message).toMatch(/^SMTP_URL: required in production/);
    expect(error.message).toContain('MAIL_TRANSPORT=outbox');
  });

  it('accepts the outbox in production only when asked for by name, and never logs links there', () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { ...production, DATA_DIR: dataDir, MAIL_TRANSPORT: 'outbox' } });
    expect(config.mail).toEqual({ transport: 'outbox', from: 'Gatehouse <no-reply@localhost>', outboxDir: path.join(dataDir, 'outbox') });
    expect(mailerOptions(config, logger).transport).toEqual({ kind: 'outbox', logLinks: false });
  });

  it('sends through SMTP_URL in production, with MAIL_FROM required', () => {
    expect(configError({ ...production, SMTP_URL }).message).toBe('MAIL_FROM: required in production when SMTP_URL is set');
    const config = loadConfig({ env: { ...production, SMTP_URL, MAIL_FROM: 'Example ID <id@example.com>' } });
    expect(config.mail).toMatchObject({ transport: 'smtp', smtpUrl: SMTP_URL, from: 'Example ID <id@example.com>' });
    const options = mailerOptions(config, logger);
    expect(options.transport).toEqual({ kind: 'smtp', url: SMTP_URL, timeoutMs: 10_000 });
    expect(options.retry).toEqual({ attempts: 3, baseDelayMs: 500 });
  });

  it('writes to DATA_DIR/outbox in development, logging links, from a default sender', () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { DATA_DIR: dataDir }, notice: () => undefined });
    expect(config.mail).toEqual({ transport: 'outbox', from: 'Gatehouse <no-reply@localhost>', outboxDir: path.join(dataDir, 'outbox') });
    expect(mailerOptions(config, logger)).toMatchObject({ transport: { kind: 'outbox', logLinks: true }, outboxDir: path.join(dataDir, 'outbox') });
  });

  it.each([
    ['a non-SMTP URL', { SMTP_URL: 'http://mailer:s3cret-pass@smtp.example.com' }, /^SMTP_URL: SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/],
    ['an SMTP URL without a host', { SMTP_URL: 'smtp://' }, /SMTP_URL must be/],
    ['a malformed MAIL_FROM', { MAIL_FROM: 'Gatehouse <no-reply@localhost' }, /^MAIL_FROM: MAIL_FROM must be an address/],
    ['a header in MAIL_FROM', { MAIL_FROM: 'a@b.example\r\nBcc: c@d.example' }, /^MAIL_FROM/],
    ['MAIL_TRANSPORT=smtp without SMTP_URL', { MAIL_TRANSPORT: 'smtp' }, /^SMTP_URL: required when MAIL_TRANSPORT=smtp/],
    ['both the outbox and SMTP_URL', { MAIL_TRANSPORT: 'outbox', SMTP_URL }, /^MAIL_TRANSPORT: outbox conflicts with SMTP_URL/],
    ['an unknown MAIL_TRANSPORT', { MAIL_TRANSPORT: 'sendmail' }, /^MAIL_TRANSPORT/],
  ])('refuses %s, naming the setting and never echoing the password', (_label, env, message) => {
    const error = configError({ ...production, MAIL_FROM: 'id@example.com', ...env });
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('s3cret-pass');
  });
});
