import { describe, expect, it } from 'vitest';
import { safeEqual } from '../../src/crypto/safe-equal.js';
import { createSecretBox, DecryptionError } from '../../src/crypto/secret-box.js';

const key = 'k'.repeat(32);

describe('secret box (AES-256-GCM)', () => {
  it('round-trips and never repeats a ciphertext', () => {
    const box = createSecretBox(key);
    const a = box.encrypt('private key material');
    const b = box.encrypt('private key material');
    expect(a).not.toBe(b);
    expect(a).not.toContain('private');
    expect(box.decrypt(a)).toBe('private key material');
  });

  it('refuses a tampered ciphertext or the wrong key', () => {
    const box = createSecretBox(key);
    const sealed = box.encrypt('secret');
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.decrypt([v, iv, flipped.toString('base64url')].join('.'))).toThrow(DecryptionError);
    expect(() => createSecretBox('z'.repeat(32)).decrypt(sealed)).toThrow(DecryptionError);
    expect(() => box.decrypt('garbage')).toThrow(DecryptionError);
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => createSecretBox('short')).toThrow(RangeError);
  });

  it('compares strings of any length without throwing', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
