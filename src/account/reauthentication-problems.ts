// How a refused "enter your password again" reads on the signed-in account forms.
import { formProblem, inMinutes, type FormProblems } from '../http/form-problems.js';
import type { ReauthenticationOutcome } from '../services/reauthentication.js';
import type { AccountContext } from './steps.js';

export const CURRENT_PASSWORD_FIELD = 'currentPassword';

type Refusal = Exclude<ReauthenticationOutcome, { ok: true }>;

/** The problem to show and the status to answer with; sets Retry-After when limited. */
export function reauthenticationProblem(ctx: AccountContext, refusal: Refusal): { problems: FormProblems<typeof CURRENT_PASSWORD_FIELD>; status: number } {
  if (refusal.reason === 'limited') {
    ctx.set('Retry-After', String(refusal.retryAfterSeconds));
    return { problems: formProblem(`Too many attempts. Try again in ${inMinutes(refusal.retryAfterSeconds)}.`, CURRENT_PASSWORD_FIELD), status: 429 };
  }
  if (refusal.reason === 'password-blocked') {
    return { problems: formProblem('For your safety this password was blocked. Use the reset link we emailed, or ask for a new one.', CURRENT_PASSWORD_FIELD), status: 403 };
  }
  return { problems: formProblem('That is not your current password.', CURRENT_PASSWORD_FIELD), status: 400 };
}
