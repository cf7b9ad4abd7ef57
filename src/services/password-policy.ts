// Which new passwords are accepted, after NIST 800-63B §3.1.1.2: a length range counted in Unicode
// code points after NFKC normalisation, no composition rules, no common or breached passwords, nothing
// taken from the account itself. Applied where a password is set, never at sign-in.
import { ValidationError } from '../errors.js';

/** NIST 800-63B §3.1.1.2: a chosen password has at least 8 characters. */
export const SHORTEST_MIN_LENGTH = 8;
/** NIST 800-63B §3.1.1.2: passwords of at least 64 characters are permitted. */
export const SHORTEST_MAX_LENGTH = 64;
/** Our ceiling: long enough for any passphrase, short enough to bound the work per request. */
export const LONGEST_MAX_LENGTH = 128;
/** Local parts shorter than this (`a@`, `jo@`) would match too many good passwords to be worth it. */
const SHORTEST_CHECKED_LOCAL_PART = 3;

export type PasswordProblemCode = 'too-short' | 'too-long' | 'contains-email' | 'contains-name' | 'common';

export interface PasswordProblem {
  code: PasswordProblemCode;
  /** A sentence for the person choosing the password, saying why. */
  message: string;
}

export interface PasswordOwner {
  email?: string | undefined;
  name?: string | null | undefined;
}

export interface PasswordPolicyOptions {
  minLength: number;
  maxLength: number;
  /**
   * Common and breached passwords, NFKC-normalised and lower-cased. Called on the first check that
   * gets that far, so that building the policy stays cheap (see common-passwords.ts).
   */
  commonPasswords: () => ReadonlySet<string>;
}

export interface PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
  check(password: string, owner?: PasswordOwner): PasswordProblem | undefined;
}

export const COMMON_PASSWORD_MESSAGE = 'This password is on a list of passwords that attackers try first. Choose another.';

/** A new password the policy refuses; `reason` lets a form put the message beside the password field. */
export class WeakPasswordError extends ValidationError {
  readonly reason: PasswordProblemCode;

  constructor(problem: PasswordProblem) {
    super(problem.message);
    this.reason = problem.code;
  }
}

function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

function codePoints(text: string): number {
  return [...text].length;
}

function emailLocalPart(email: string): string {
  const at = email.lastIndexOf('@');
  return normalise(at === -1 ? email : email.slice(0, at)).trim();
}

export function createPasswordPolicy(options: PasswordPolicyOptions): PasswordPolicy {
  const { minLength, maxLength, commonPasswords } = options;
  if (!Number.isInteger(minLength) || minLength < SHORTEST_MIN_LENGTH) {
    throw new RangeError(`minLength must be an integer of at least ${SHORTEST_MIN_LENGTH}`);
  }
  if (!Number.isInteger(maxLength) || maxLength < SHORTEST_MAX_LENGTH || maxLength > LONGEST_MAX_LENGTH) {
    throw new RangeError(`maxLength must be an integer from ${SHORTEST_MAX_LENGTH} to ${LONGEST_MAX_LENGTH}`);
  }
  if (minLength > maxLength) throw new RangeError('minLength must not exceed maxLength');

  return {
    minLength,
    maxLength,
    check(password, owner = {}) {
      // Bounds the normalisation work; NFKC composes at most a few code units into one.
      if (password.length > maxLength * 8) return { code: 'too-long', message: `Use at most ${maxLength} characters.` };
      // NFKC first, so that look-alike forms (full-width letters, ligatures) count and compare as
      // the characters they stand for (NIST 800-63B §3.1.1.2, §5.1.1.2).
      const normalised = password.normalize('NFKC');
      const length = codePoints(normalised);
      if (length < minLength) return { code: 'too-short', message: `Use at least ${minLength} characters.` };
      if (length > maxLength) return { code: 'too-long', message: `Use at most ${maxLength} characters.` };

      const folded = normalised.toLowerCase();
      const localPart = owner.email ? emailLocalPart(owner.email) : '';
      if (codePoints(localPart) >= SHORTEST_CHECKED_LOCAL_PART && folded.includes(localPart)) {
        return { code: 'contains-email', message: "Don't use your email address in your password." };
      }
      // The whole name only: single given names ("Rose", "May") are ordinary words.
      const name = owner.name ? normalise(owner.name).replace(/\s+/gu, ' ').trim() : '';
      if (codePoints(name) >= SHORTEST_CHECKED_LOCAL_PART && (folded.includes(name) || folded.includes(name.replaceAll(' ', '')))) {
        return { code: 'contains-name', message: "Don't use your name in your password." };
      }
      if (commonPasswords().has(folded)) return { code: 'common', message: COMMON_PASSWORD_MESSAGE };
      return undefined;
    },
  };
}
