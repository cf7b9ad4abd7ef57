// Comparing secrets (CSRF tokens, state, client secrets) in constant time, so the time an answer
// takes tells nothing about how much of a guess was right (ASVS 5.0 V11.7).
import { timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison; the length check leaks only the length. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
