import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadSettings } from '../../src/config.js';
import { commonPasswordList, loadCommonPasswords } from '../../src/services/common-passwords.js';
import { COMMON_PASSWORD_MESSAGE, createPasswordPolicy, type PasswordPolicyOptions } from '../../src/services/password-policy.js';

const defaults = { minLength: 12, maxLength: 128 };

function policyWith(commonPasswords: PasswordPolicyOptions['commonPasswords'] = () => new Set()) {
  return createPasswordPolicy({ ...defaults, commonPasswords });
}

describe('password policy (NIST 800-63B §3.1.1.2)', () => {
  const policy = createPasswordPolicy({ ...defaults, commonPasswords: loadCommonPasswords });

  it('asks for at least minLength and at most maxLength characters, saying so', () => {
    expect(policy.check('eleven char')).toEqual({ code: 'too-short', message: 'Use at least 12 characters.' });
    expect(policy.check('twelve chars')).toBeUndefined();
    expect(policy.check('x'.repeat(127) + 'y')).toBeUndefined();
    expect(policy.check('x'.repeat(128) + 'y')).toEqual({ code: 'too-long', message: 'Use at most 128 characters.' });
    expect(policy.check('x'.repeat(100_000))).toEqual({ code: 'too-long', message: 'Use at most 128 characters.' });
    expect(createPasswordPolicy({ minLength: 8, maxLength: 64, commonPasswords: () => new Set() }).check('seven c')?.message).toBe('Use at least 8 characters.');
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    expect('🔑'.repeat(11)).toHaveLength(22);
    expect(policy.check('🔑'.repeat(11))?.code).toBe('too-short');
    expect(policy.check('🔑'.repeat(12))).toBeUndefined();
    expect(policy.check('🔑'.repeat(128))).toBeUndefined();
    expect(policy.check('🔑'.repeat(129))?.code).toBe('too-long');
  });

  it('counts after NFKC normalisation', () => {
    // "e" + combining acute composes to one "é": 22 code points typed, 11 characters.
    expect(policy.check('e\u0301'.repeat(11))?.code).toBe('too-short');
    expect(policy.check('e\u0301'.repeat(12))).toBeUndefined();
    // The "ﬀ" ligature stands for "ff": 6 typed, 12 after normalisation.
    expect(policy.check('\uFB00'.repeat(6))).toBeUndefined();
    // Full-width letters are the common password they look like.
    expect(policy.check('ｐａｓｓｗｏｒｄ１２３４')).toEqual({ code: 'common', message: COMMON_PASSWORD_MESSAGE });
  });

  it('has no composition rules', () => {
    expect(policy.check('only lowercase words here')).toBeUndefined();
    expect(policy.check('7391 0482 5563')).toBeUndefined();
  });

  it('refuses passwords from the bundled list, whatever their case', () => {
    for (const password of ['password1234', 'PASSWORD1234', 'PassWord1234', 'iloveyou1234', 'QwertyUiop12', 'qwertyuiopasdfgh']) {
      expect(policy.check(password), password).toEqual({ code: 'common', message: 'This password is on a list of passwords that attackers try first. Choose another.' });
    }
    expect(policy.check('correct horse battery staple')).toBeUndefined();
  });

  it('bundles at least the 100,000 most common passwords', () => {
    const list = commonPasswordList();
    expect(list.sourceLines).toBeGreaterThanOrEqual(100_000);
    // Only entries shorter than 8 (which no policy can accept anyway) are left out of the set.
    expect(list.passwords.size).toBeGreaterThanOrEqual(100_000);
    expect([...list.passwords].filter((entry) => entry.length < 8)).toEqual([]);
    // From the top, the middle and the end of SecLists' top-100,000 list.
    for (const entry of ['12345678', 'baseball', 'trustno1', 'sunshine', 'qazwsxedc', '1qaz2wsx3edc', 'william1', 'nascar24']) {
      expect(list.passwords.has(entry), entry).toBe(true);
    }
    expect(loadCommonPasswords()).toBe(list.passwords);
  });

  it("refuses a password containing the email address's local part, case-insensitively", () => {
    const contains = { code: 'contains-email', message: "Don't use your email address in your password." };
    expect(policy.check('my ADA.Lovelace secret', { email: 'ada.lovelace@example.com' })).toEqual(contains);
    expect(policy.check('Adamant kestrel wings', { email: 'ada@example.com' })).toEqual(contains);
    expect(policy.check('Adamant kestrel wings', { email: 'bob@example.com' })).toBeUndefined();
    // Local parts shorter than 3 characters are ignored: "jo" is in too many good passwords.
    expect(policy.check('enjoy the journey', { email: 'jo@example.com' })).toBeUndefined();
  });

  it('refuses a password containing the whole name', () => {
    const contains = { code: 'contains-name', message: "Don't use your name in your password." };
    expect(policy.check('i am grace hopper!', { name: 'Grace Hopper' })).toEqual(contains);
    expect(policy.check('GraceHopper1906', { name: 'Grace  Hopper' })).toEqual(contains);
    expect(policy.check('amazing grace forever', { name: 'Grace Hopper' })).toBeUndefined();
    expect(policy.check('anything longer', { name: null })).toBeUndefined();
  });

  it('reads the common list only when a check gets that far', () => {
    const commonPasswords = vi.fn(() => new Set(['hunter2hunter2']));
    const lazy = policyWith(commonPasswords);
    expect(commonPasswords).not.toHaveBeenCalled();
    expect(lazy.check('short')?.code).toBe('too-short');
    expect(commonPasswords).not.toHaveBeenCalled();
    expect(lazy.check('HUNTER2hunter2')?.code).toBe('common');
    expect(commonPasswords).toHaveBeenCalled();
  });

  it('refuses settings below NIST 800-63B or above our ceiling', () => {
    const common = () => new Set<string>();
    expect(() => createPasswordPolicy({ minLength: 6, maxLength: 128, commonPasswords: common })).toThrow(RangeError);
    expect(() => createPasswordPolicy({ minLength: 12, maxLength: 32, commonPasswords: common })).toThrow(RangeError);
    expect(() => createPasswordPolicy({ minLength: 12, maxLength: 256, commonPasswords: common })).toThrow(RangeError);
    expect(() => createPasswordPolicy({ minLength: 12.5, maxLength: 128, commonPasswords: common })).toThrow(RangeError);
  });
});

describe('passwordPolicy settings', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  function settingsWith(passwordPolicy: unknown): string {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ passwordPolicy }));
    return file;
  }

  it('ships 12 to 128 characters', () => {
    expect(loadSettings().passwordPolicy).toEqual({ minLength: 12, maxLength: 128 });
    expect(loadSettings(settingsWith({ minLength: 8 })).passwordPolicy).toEqual({ minLength: 8, maxLength: 128 });
  });

  it.each([
    [{ minLength: 7 }, /passwordPolicy\.minLength/],
    [{ maxLength: 63 }, /passwordPolicy\.maxLength/],
    [{ maxLength: 129 }, /passwordPolicy\.maxLength/],
    [{ minLength: 100, maxLength: 64 }, /passwordPolicy\.minLength: minLength must not exceed maxLength/],
    [{ minLength: 12, extra: true }, /passwordPolicy/],
  ])('refuses %j, naming the setting', (passwordPolicy, message) => {
    const file = settingsWith(passwordPolicy);
    expect(() => loadSettings(file)).toThrow(ConfigError);
    expect(() => loadSettings(file)).toThrow(message);
  });
});
