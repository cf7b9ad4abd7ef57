// View models shared by the two places a person meets two-factor set-up: the account page and a
// sign-in that requires it. The QR code is an image in a data: URL (CSP img-src allows data:),
// so the page needs no script and the secret never leaves our server.
import type { Enrolment } from '../services/two-factor.js';

export interface EnrolmentView {
  qrSrc: string;
  /** The secret in groups of four, for typing in by hand; the page keeps each group on one line. */
  secretGroups: string[];
  /**
   * The QR code's own otpauth:// URI as a link: on a phone, where the QR code cannot be scanned by
   * the phone showing it, the link opens the authenticator app with the account filled in.
   */
  otpauthUri: string;
}

export function enrolmentView(enrolment: Enrolment): EnrolmentView {
  return {
    qrSrc: `data:image/svg+xml;base64,${Buffer.from(enrolment.qrSvg).toString('base64')}`,
    secretGroups: enrolment.secretText.split(' '),
    otpauthUri: enrolment.otpauthUri,
  };
}

/** What a refused code reads as, on the sign-in step and the account page alike. Never the code itself. */
export const CODE_MESSAGES = {
  missing: 'Enter the 6-digit code from your authenticator app.',
  missingOrBackup: 'Enter the 6-digit code from your authenticator app, or a backup code.',
  invalid: 'That code is not right. Check your authenticator app and try again.',
  replayed: 'That code was used already. Wait for your app to show the next one.',
} as const;

// A 6-digit code or a backup code as people type them, with spaces or dashes; anything longer is
// cut (still wrong, never a large input to the checks).
const LONGEST_CODE = 32;

/** The trimmed `code` field; '' when none was typed. Never shown back: a code is a secret. */
export function codeOf(form: URLSearchParams): string {
  return (form.get('code') ?? '').trim().slice(0, LONGEST_CODE + 1);
}
