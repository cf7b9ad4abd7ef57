// Backup codes (look-up secrets, NIST 800-63B §3.1.2): ten per person, shown once, each usable once.
// A code is 13 symbols of Crockford's base32 (65 bits from the CSPRNG: ten live codes per account
// still leave guessing one online, across every account, out of reach), grouped as
// `xxxx-xxxx-xxxxx`: no 0/O or 1/I/L to confuse, and case, spaces and dashes do not matter when
// typed back. Codes of 10 symbols issued before still work until they are used or replaced.
// Stored as HMAC-SHA-256 under a key derived from ENCRYPTION_KEY and bound to the user: a copy of
// the table without the key gives nothing to search offline (§3.1.2.2). The hash is
// deterministic, so it is also the lookup key.
import { randomInt } from 'node:crypto';
import { createKeyedHash } from '../crypto/keyed-hash.js';

export const BACKUP_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const SYMBOLS = 13;
const CANONICAL = /^[0-9abcdefghjkmnpqrstvwxyz]{13}$/;
// The 50-bit codes issued before: accepted so nobody is locked out, never issued again.
const CANONICAL_LEGACY = /^[0-9abcdefghjkmnpqrstvwxyz]{10}$/;

export type BackupCodeHasher = (userId: string, canonicalCode: string) => string;

/** Fresh codes as shown to the person. */
export function newBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const symbols = Array.from({ length: SYMBOLS }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${symbols.slice(0, 4)}-${symbols.slice(4, 8)}-${symbols.slice(8)}`;
  });
}

/** The code as stored: lower case, no separators, look-alikes read as Crockford says; undefined if it cannot be one. */
export function canonicalBackupCode(input: string): string | undefined {
  const code = input.toLowerCase().replace(/[\s-]+/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return CANONICAL.test(code) || CANONICAL_LEGACY.test(code) ? code : undefined;
}

export function createBackupCodeHasher(encryptionKey: string): BackupCodeHasher {
  const hash = createKeyedHash(encryptionKey, 'gatehouse/backup-codes');
  return (userId, canonicalCode) => hash(`${userId}:${canonicalCode}`);
}
