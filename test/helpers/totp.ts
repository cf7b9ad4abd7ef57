// An RFC 6238 code generator of our own (HMAC-SHA-1), independent of otplib, so tests compute the
// codes a person's authenticator app would show without trusting the code under test.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const STEP_MS = 30_000;

export function base32Decode(text: string): Buffer {
  const bits = [...text.replace(/[\s=]/g, '').toUpperCase()].map((char) => {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    return value.toString(2).padStart(5, '0');
  }).join('');
  return Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
}

/** The code for the step that nowMs falls in (RFC 6238 §4, RFC 4226 §5.3 truncation). */
export function totpCode(base32Secret: string, nowMs: number, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / STEP_MS)));
  const mac = createHmac('sha1', base32Decode(base32Secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * Waits into the next 30 s step when this one ends within minLeftMs, so that codes computed now
 * still name the same steps when the server checks them.
 */
export async function settleStep(minLeftMs = 3000): Promise<void> {
  const leftMs = STEP_MS - (Date.now() % STEP_MS);
  if (leftMs < minLeftMs) await new Promise((resolve) => setTimeout(resolve, leftMs + 100));
}
