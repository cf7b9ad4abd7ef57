// Authentication context classes and step-up. An ID token says how strongly the person
// was authenticated in `acr` (OIDC Core §2): the password alone, or the password and a second
// factor. A relying party asks for two-factor with acr_values (or an essential acr claim), and a
// client listed in twoFactor.policy.requiredForClients always gets it: both make the login prompt
// ask again when the session has only the password level, even though the browser is signed in.
// With twoFactor.policy.mode 'required', or requiredForRoles naming one of the account's roles, so
// does a session whose account has no second factor at all (signed in before the policy reached
// it: turned on, or the role granted since): it is led through enrolment, not carried on.
import { interactionPolicy } from 'oidc-provider';

export const ACR_PASSWORD = 'urn:gatehouse:acr:pwd';
export const ACR_TWO_FACTOR = 'urn:gatehouse:acr:2fa';
/** Advertised as acr_values_supported, weakest first. */
export const ACR_VALUES = [ACR_PASSWORD, ACR_TWO_FACTOR] as const;

/** The login-prompt check below; an interaction whose only reasons are these can skip the password. */
export const STEP_UP_REASON = 'second_factor_required';
const ACR_REASONS = new Set([STEP_UP_REASON, 'essential_acr', 'essential_acrs']);

interface AuthorizationParams {
  client_id?: unknown;
  acr_values?: unknown;
  claims?: unknown;
}

/** The acr values named by acr_values and by the claims parameter's id_token.acr (value or values). */
function requestedAcrValues(params: AuthorizationParams): string[] {
  const values = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  if (typeof params.claims !== 'string') return values;
  try {
    const acr = (JSON.parse(params.claims) as { id_token?: { acr?: { value?: unknown; values?: unknown } } }).id_token?.acr;
    if (typeof acr?.value === 'string') values.push(acr.value);
    if (Array.isArray(acr?.values)) values.push(...acr.values.filter((value): value is string => typeof value === 'string'));
  } catch {
    // oidc-provider has already refused a claims parameter that is not JSON.
  }
  return values;
}

/** Whether this authorization request must end with a second factor, whatever the session or device. */
export function requestsTwoFactor(params: AuthorizationParams, requiredForClients: readonly string[]): boolean {
  if (typeof params.client_id === 'string' && requiredForClients.includes(params.client_id)) return true;
  return requestedAcrValues(params).includes(ACR_TWO_FACTOR);
}

/** True when the login prompt was raised only to add a second factor to a signed-in session. */
export function isStepUpOnly(reasons: readonly string[]): boolean {
  return reasons.length > 0 && reasons.every((reason) => ACR_REASONS.has(reason));
}

/**
 * oidc-provider's default prompts with one more login check. A login result in this very request
 * (ctx.oidc.result) passes, as oidc-provider's own max_age check does: the interaction has just
 * decided, and asking again would loop. lacksRequiredSecondFactor is given only when the policy
 * can demand enrolment of an account (mode 'required', or requiredForRoles; see provider.ts).
 */
export function buildInteractionPolicy(
  requiredForClients: readonly string[],
  lacksRequiredSecondFactor?: (accountId: string) => Promise<boolean>,
): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check(
    STEP_UP_REASON,
    'two-factor authentication is required',
    // Checks added after construction get no default error; prompt=none answers login_required.
    'login_required',
    async (ctx) => {
      const { oidc } = ctx;
      const accountId = oidc.session?.accountId;
      if (!accountId || oidc.result?.login || oidc.acr === ACR_TWO_FACTOR) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (requestsTwoFactor(oidc.params ?? {}, requiredForClients)) return interactionPolicy.Check.REQUEST_PROMPT;
      // An enrolled account's password-level session (a remembered device) carries on: the policy
      // demands that everyone it names has a second factor, not that they type a code at every sign-in.
      return lacksRequiredSecondFactor ? lacksRequiredSecondFactor(accountId) : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    },
  ));
  return policy;
}
