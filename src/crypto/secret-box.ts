// Authenticated encryption for secrets at rest (signing keys, client secrets, later TOTP seeds).
// AES-256-GCM with a fresh 96-bit IV per message; the key is derived from ENCRYPTION_KEY with HKDF
// so that any >= 32-byte secret string makes a uniformly random key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export function createSecretBox(encryptionKey: string, purpose = 'gatehouse/secrets-at-rest'): SecretBox {
  if (Buffer.byteLength(encryptionKey) < 32) throw new RangeError('encryption key must be at least 32 bytes');
  const key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), purpose, 32));
  return {
    encrypt(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), Buffer.concat([body, cipher.getAuthTag()]).toString('base64url')].join('.');
    },
    decrypt(sealed) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || !ivText || !bodyText) throw new DecryptionError('unrecognised ciphertext format');
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError('truncated ciphertext');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new DecryptionError('ciphertext does not authenticate under ENCRYPTION_KEY', { cause });
      }
    },
  };
}
