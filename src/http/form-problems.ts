// What is wrong with a submitted form, shaped for views/partials/form-errors.ejs: a summary at the
// top (each linking to its field) and one message beside each field.
import { z } from 'zod';
import { MAX_PASSWORD_BYTES } from '../services/passwords.js';

export interface FormProblems<F extends string = string> {
  /** Each message is English and a catalogue key; `values` fill its {{placeholders}} when it is shown. */
  summary: { field: F | null; message: string; values?: Record<string, string | number> }[];
  fields: Partial<Record<F, string>>;
}

export function noProblems<F extends string>(): FormProblems<F> {
  return { summary: [], fields: {} };
}

export function formProblem<F extends string>(message: string, field: F | null = null, values?: Record<string, string | number>): FormProblems<F> {
  return { summary: [{ field, message, ...(values ? { values } : {}) }], fields: field ? ({ [field]: message } as Partial<Record<F, string>>) : {} };
}

/** The first message per field, in the order of the schema's issues. */
export function problemsFromZod<F extends string>(error: z.ZodError, fieldNames: readonly F[]): FormProblems<F> {
  const problems = noProblems<F>();
  for (const issue of error.issues) {
    const name = issue.path[0];
    const field = fieldNames.find((candidate) => candidate === name) ?? null;
    if (field && problems.fields[field]) continue;
    if (field) problems.fields[field] = issue.message;
    problems.summary.push({ field, message: issue.message });
  }
  return problems;
}

/** The email field of the self-service forms, with messages a person can act on. */
export const emailField = z.string().trim().min(1, 'Enter your email address.').max(320, 'Enter a shorter email address.')
  .pipe(z.email('Enter an email address like name@example.com.'));

/** A Retry-After in whole minutes (at least one), for a message's `{{count}} minutes`. */
export function wholeMinutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

/** "a minute" / "N minutes", for a Retry-After shown in words. */
export function inMinutes(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'a minute' : `${minutes} minutes`;
}

/** Whether a submitted password is within the hashing cap, in UTF-8 bytes (what argon2 hashes). */
export function isWithinPasswordByteLimit(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}
