import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadSettings } from '../../src/config.js';
import { canonicalBackupCode, createBackupCodeHasher, newBackupCodes } from '../../src/services/backup-codes.js';
import { createTotp } from '../../src/services/totp.js';
import { isTwoFactorRequired } from '../../src/services/two-factor.js';
import { createSettingsFiles } from '../helpers/accounts.js';
import { base32Decode, STEP_MS, totpCode } from '../helpers/totp.js';

// RFC 6238 Appendix B, SHA-1: the ASCII seed "12345678901234567890", 8-digit codes. A 6-digit code
// is the same number modulo 10^6 (RFC 4226 §5.3), i.e. its last six digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[seconds: number, code: string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const totp = createTotp();

describe('TOTP (RFC 6238, HMAC-SHA-1, 6 digits, 30 s)', () => {
  it('the test helper reproduces the RFC vectors', () => {
    expect(base32Decode(RFC_SECRET).toString('ascii')).toBe('12345678901234567890');
    for (const [seconds, code] of RFC_VECTORS) expect(totpCode(RFC_SECRET, seconds * 1000, 8)).toBe(code);
  });

  it('accepts the RFC vectors cut to 6 digits and answers their time step', async () => {
    for (const [seconds, code] of RFC_VECTORS) {
      expect(await totp.verify(RFC_SECRET, code.slice(2), seconds * 1000)).toBe(Math.floor(seconds / 30));
    }
  });

  it('accepts one step of skew either way, at every point of the current step, and refuses two', async () => {
    const secret = totp.generateSecret();
    const stepStart = 1_700_000_010_000 - (1_700_000_010_000 % STEP_MS);
    for (const intoStepMs of [0, 1, 15_000, 29_999]) {
      const nowMs = stepStart + intoStepMs;
      const step = nowMs / STEP_MS;
      for (const skew of [-1, 0, 1]) {
        expect(await totp.verify(secret, totpCode(secret, nowMs + skew * STEP_MS), nowMs)).toBe(Math.floor(step) + skew);
      }
      for (const skew of [-3, -2, 2, 3]) {
        const code = totpCode(secret, nowMs + skew * STEP_MS);
        // A code from two steps away may equal one within the window by chance (1 in 10^6).
        const inWindow = [-1, 0, 1].some((near) => totpCode(secret, nowMs + near * STEP_MS) === code);
        if (!inWindow) expect(await totp.verify(secret, code, nowMs)).toBeNull();
      }
    }
  });

  it('reads codes typed with spaces and refuses malformed ones without throwing', async () => {
    const nowMs = 1_111_111_111_000;
    expect(await totp.verify(RFC_SECRET, ' 050 471 ', nowMs)).toBe(37037037);
    for (const bad of ['', '05047', '0504711', '05047a', '050-471', '１２３４５６']) {
      expect(await totp.verify(RFC_SECRET, bad, nowMs)).toBeNull();
    }
  });

  it('makes 160-bit base32 secrets and an otpauth URI apps accept', () => {
    const secret = totp.generateSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(totp.generateSecret()).not.toBe(secret);
    const uri = new URL(totp.keyUri(secret, 'ada+2fa@example.com', 'Gatehouse Dev'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Gatehouse Dev:ada+2fa@example.com');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Gatehouse Dev');
  });

  it('draws the QR code here, as SVG and as a PNG data URL', async () => {
    const uri = totp.keyUri(totp.generateSecret(), 'ada@example.com', 'Gatehouse');
    const svg = await totp.qrSvg(uri);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toContain('<script');
    expect(await totp.qrDataUrl(uri)).toMatch(/^data:image\/png;base64,/);
  });
});

describe('backup codes', () => {
  it('are ten readable codes of at least 64 bits, all different', () => {
    const codes = newBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{5}$/);
      // 32 symbols carry 5 bits each.
      expect(canonicalBackupCode(code)!.length * Math.log2(32)).toBeGreaterThanOrEqual(64);
    }
  });

  it('are read back whatever the case, spacing and look-alike letters', () => {
    expect(canonicalBackupCode('7k2m-9xq4-ab3cd')).toBe('7k2m9xq4ab3cd');
    expect(canonicalBackupCode(' 7K2M 9XQ4 AB3CD ')).toBe('7k2m9xq4ab3cd');
    expect(canonicalBackupCode('O1lI-0000-00000')).toBe('0111000000000');
    for (const bad of ['', '7k2m-9xq4-ab3c', '7k2m-9xq4-ab3cde', '7k2m-9xq4-ab3cu', '123456']) expect(canonicalBackupCode(bad)).toBeUndefined();
  });

  it('still reads the 10-symbol codes issued before, so nobody is locked out', () => {
    expect(canonicalBackupCode('7k2m-9xq4-ab')).toBe('7k2m9xq4ab');
    expect(canonicalBackupCode('7k2m-9xq4-abc')).toBeUndefined();
  });

  it('hash under a key and per user: the same code differs between users and keys', () => {
    const hash = createBackupCodeHasher('k'.repeat(32));
    expect(hash('user-a', '7k2m9xq4ab')).toMatch(/^[0-9a-f]{64}$/);
    expect(hash('user-a', '7k2m9xq4ab')).toBe(hash('user-a', '7k2m9xq4ab'));
    expect(hash('user-b', '7k2m9xq4ab')).not.toBe(hash('user-a', '7k2m9xq4ab'));
    expect(createBackupCodeHasher('z'.repeat(32))('user-a', '7k2m9xq4ab')).not.toBe(hash('user-a', '7k2m9xq4ab'));
    expect(() => createBackupCodeHasher('short')).toThrow(RangeError);
  });
});

describe('twoFactor settings and policy', () => {
  const files = createSettingsFiles('gh-2fa-settings-');
  afterAll(() => files.remove());
  const settingsWith = (twoFactor: unknown) => files.file(Math.random().toString(36).slice(2), { twoFactor });

  it('ships optional two-factor, five failures, a 15-minute lock and 30-day devices', () => {
    expect(loadSettings().twoFactor).toEqual({
      issuerLabel: 'Gatehouse', maxFailures: 5, lockoutSeconds: 900, trustedDeviceDays: 30,
      policy: { mode: 'optional', requiredForRoles: [], requiredForClients: [] },
    });
    expect(loadSettings(settingsWith({ policy: { mode: 'required' } })).twoFactor.policy).toEqual({ mode: 'required', requiredForRoles: [], requiredForClients: [] });
  });

  it.each([
    [{ issuerLabel: 'Acme: Sign-in' }, /twoFactor\.issuerLabel/],
    [{ issuerLabel: ' ' }, /twoFactor\.issuerLabel/],
    [{ maxFailures: 0 }, /twoFactor\.maxFailures/],
    [{ trustedDeviceDays: 400 }, /twoFactor\.trustedDeviceDays/],
    [{ policy: { mode: 'sometimes' } }, /twoFactor\.policy\.mode/],
    [{ policy: { mode: 'optional', requiredForRoles: [''] } }, /twoFactor\.policy\.requiredForRoles/],
  ])('refuses %j, naming the setting', (twoFactor, message) => {
    const file = settingsWith(twoFactor);
    expect(() => loadSettings(file)).toThrow(ConfigError);
    expect(() => loadSettings(file)).toThrow(message);
  });

  it('requires a second factor for everyone, or for the listed roles and clients', () => {
    const optional = { mode: 'optional' as const, requiredForRoles: ['admin'], requiredForClients: ['payroll'] };
    expect(isTwoFactorRequired(optional, {})).toBe(false);
    expect(isTwoFactorRequired(optional, { roles: ['staff'], clientId: 'notebook' })).toBe(false);
    expect(isTwoFactorRequired(optional, { roles: ['staff', 'admin'] })).toBe(true);
    expect(isTwoFactorRequired(optional, { clientId: 'payroll' })).toBe(true);
    expect(isTwoFactorRequired({ ...optional, mode: 'required' }, {})).toBe(true);
  });
});
