// Random tokens: link tokens carried by emailed links (verification, password reset), 256 bits from the CSPRNG
// (ASVS 5.0 V7.2.3), base64url, stored only as their SHA-256 so a database leak cannot use them.
// The same random value serves cookies and round-trip state (randomToken, isWellFormedToken).
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Cheap shape check before any lookup, so junk never reaches storage. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_FORMAT.test(token);
}

/** 256 bits from the CSPRNG as 43 base64url characters: link tokens, device ids, CSRF and round-trip state. */
export function randomToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** A fresh token for the link, and the hash to store. */
export function newLinkToken(): { token: string; tokenHash: string } {
  const token = randomToken();
  return { token, tokenHash: hashToken(token) };
}
