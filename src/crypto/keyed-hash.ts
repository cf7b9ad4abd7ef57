// Keyed hashes for stored credentials: HMAC-SHA-256 under a key derived from ENCRYPTION_KEY with
// HKDF, one key per purpose. Deterministic, so the hash is also the lookup key; without the key a
// copy of the database gives nothing to test guesses against offline (NIST 800-63B §5.1.1.2 and
// §3.1.2.2 ask the same of memorised secrets and look-up secrets).
import { createHmac, hkdfSync } from 'node:crypto';

export type KeyedHash = (value: string) => string;

export function createKeyedHash(encryptionKey: string, purpose: string): KeyedHash {
  if (Buffer.byteLength(encryptionKey) < 32) throw new RangeError('encryption key must be at least 32 bytes');
  if (purpose.length === 0) throw new RangeError('a keyed hash needs a purpose');
  const key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), purpose, 32));
  return (value) => createHmac('sha256', key).update(value, 'utf8').digest('hex');
}
