// Time-based one-time passwords (RFC 6238) behind an interface we own, so otplib stays in this file.
// The parameters are the ones every authenticator app supports (some ignore the URI's algorithm,
// digits and period and assume these): HMAC-SHA-1, 6 digits, 30-second steps. The QR code is drawn here with `qrcode`: the secret never
// goes to an outside service.
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
// One step either side of now (RFC 6238 §5.2 recommends at most one step of network delay); with
// otplib a tolerance of one period in seconds reaches exactly the neighbouring steps.
const TOLERANCE_SECONDS = PERIOD_SECONDS;
// 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends.
const SECRET_BYTES = 20;
const CODE_FORMAT = /^\d{6}$/;

export interface Totp {
  /** A fresh shared secret, base32 as authenticator apps expect it. */
  generateSecret(): string;
  /** The otpauth:// URI the QR code carries. */
  keyUri(secret: string, accountName: string, issuerLabel: string): string;
  /** The time step the code belongs to (within one step of nowMs), or null when it matches none. */
  verify(secret: string, code: string, nowMs: number): Promise<number | null>;
  qrSvg(uri: string): Promise<string>;
  qrDataUrl(uri: string): Promise<string>;
}

/** What a person typed, without spaces; people copy codes as "123 456". */
export function normalizeTotpCode(code: string): string {
  return code.replace(/\s+/g, '');
}

export function isTotpCodeShaped(code: string): boolean {
  return CODE_FORMAT.test(normalizeTotpCode(code));
}

export function createTotp(): Totp {
  return {
    generateSecret: () => generateSecret({ length: SECRET_BYTES }),
    keyUri(secret, accountName, issuerLabel) {
      return generateURI({ issuer: issuerLabel, label: accountName, secret, algorithm: 'sha1', digits: DIGITS, period: PERIOD_SECONDS });
    },
    async verify(secret, code, nowMs) {
      const token = normalizeTotpCode(code);
      // otplib throws on a malformed token; a malformed code is simply a wrong one.
      if (!CODE_FORMAT.test(token)) return null;
      const result = await verify({
        secret, token, algorithm: 'sha1', digits: DIGITS, period: PERIOD_SECONDS,
        epoch: Math.floor(nowMs / 1000), epochTolerance: TOLERANCE_SECONDS,
      });
      return result.valid && 'timeStep' in result ? result.timeStep : null;
    },
    qrSvg: (uri) => QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M' }),
    qrDataUrl: (uri) => QRCode.toDataURL(uri, { errorCorrectionLevel: 'M' }),
  };
}
