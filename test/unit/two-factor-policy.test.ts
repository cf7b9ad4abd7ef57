// When an authorization request demands a second factor, which prompt reasons are a pure step-up,
// and whom twoFactor.policy requires it of.
import { describe, expect, it } from 'vitest';
import { ACR_PASSWORD, ACR_TWO_FACTOR, isStepUpOnly, requestsTwoFactor, STEP_UP_REASON } from '../../src/oidc/two-factor-policy.js';
import { isTwoFactorRequired, isTwoFactorRequiredFor, type TwoFactorPolicy } from '../../src/services/two-factor.js';

const OPTIONAL: TwoFactorPolicy = { mode: 'optional', requiredForRoles: [], requiredForClients: [] };

describe('isTwoFactorRequired', () => {
  it('requires it of everyone in mode "required", and of no one by default', () => {
    expect(isTwoFactorRequired({ ...OPTIONAL, mode: 'required' }, {})).toBe(true);
    expect(isTwoFactorRequired({ ...OPTIONAL, mode: 'required' }, { clientId: 'notes', roles: [] })).toBe(true);
    expect(isTwoFactorRequired(OPTIONAL, { clientId: 'notes', roles: ['admin'] })).toBe(false);
  });

  it('requires it for a person with a listed role and not for one without', () => {
    const policy = { ...OPTIONAL, requiredForRoles: ['admin'] };
    expect(isTwoFactorRequired(policy, { roles: ['admin'] })).toBe(true);
    expect(isTwoFactorRequired(policy, { roles: ['editor', 'admin'], clientId: 'notes' })).toBe(true);
    expect(isTwoFactorRequired(policy, { roles: ['editor'] })).toBe(false);
    expect(isTwoFactorRequired(policy, { roles: [] })).toBe(false);
    // No roles given, none matched: callers pass the account's (isTwoFactorRequiredFor reads them).
    expect(isTwoFactorRequired(policy, { clientId: 'notes' })).toBe(false);
  });

  it('requires it for a listed client only', () => {
    const policy = { ...OPTIONAL, requiredForClients: ['payroll'] };
    expect(isTwoFactorRequired(policy, { clientId: 'payroll' })).toBe(true);
    expect(isTwoFactorRequired(policy, { clientId: 'notes' })).toBe(false);
    expect(isTwoFactorRequired(policy, {})).toBe(false);
  });
});

describe('requestsTwoFactor', () => {
  it('is true for acr_values naming the two-factor value, in any position', () => {
    expect(requestsTwoFactor({ acr_values: ACR_TWO_FACTOR }, [])).toBe(true);
    expect(requestsTwoFactor({ acr_values: `${ACR_PASSWORD} ${ACR_TWO_FACTOR}` }, [])).toBe(true);
    expect(requestsTwoFactor({ acr_values: ACR_PASSWORD }, [])).toBe(false);
    expect(requestsTwoFactor({}, [])).toBe(false);
  });

  it('reads the acr claim of the claims parameter, value or values', () => {
    const claims = (acr: object) => JSON.stringify({ id_token: { acr } });
    expect(requestsTwoFactor({ claims: claims({ essential: true, value: ACR_TWO_FACTOR }) }, [])).toBe(true);
    expect(requestsTwoFactor({ claims: claims({ values: [ACR_PASSWORD, ACR_TWO_FACTOR] }) }, [])).toBe(true);
    expect(requestsTwoFactor({ claims: claims({ values: [ACR_PASSWORD] }) }, [])).toBe(false);
    expect(requestsTwoFactor({ claims: JSON.stringify({ userinfo: { acr: { value: ACR_TWO_FACTOR } } }) }, [])).toBe(false);
    expect(requestsTwoFactor({ claims: 'not json' }, [])).toBe(false);
  });

  it('is true for a client the policy names, whatever it asks', () => {
    expect(requestsTwoFactor({ client_id: 'payroll' }, ['payroll'])).toBe(true);
    expect(requestsTwoFactor({ client_id: 'notes' }, ['payroll'])).toBe(false);
  });
});

describe('isStepUpOnly', () => {
  it('holds when every reason is about the acr, and never for a fresh-login reason', () => {
    expect(isStepUpOnly([STEP_UP_REASON])).toBe(true);
    expect(isStepUpOnly([STEP_UP_REASON, 'essential_acrs'])).toBe(true);
    expect(isStepUpOnly([STEP_UP_REASON, 'max_age'])).toBe(false);
    expect(isStepUpOnly(['login_prompt'])).toBe(false);
    expect(isStepUpOnly(['no_session'])).toBe(false);
    expect(isStepUpOnly([])).toBe(false);
  });
});

describe('isTwoFactorRequiredFor', () => {
  /** A roles reader that counts its reads. */
  function rolesReader(roles: string[]) {
    const reader = { reads: 0, rolesOf: async (accountId: string) => { reader.reads += 1; expect(accountId).toBe('account-1'); return roles; } };
    return reader;
  }

  it("reads the account's roles when requiredForRoles could match them", async () => {
    const policy = { ...OPTIONAL, requiredForRoles: ['admin'] };
    const admin = rolesReader(['admin', 'support']);
    expect(await isTwoFactorRequiredFor(policy, { accountId: 'account-1' }, admin.rolesOf)).toBe(true);
    const support = rolesReader(['support']);
    expect(await isTwoFactorRequiredFor(policy, { accountId: 'account-1', clientId: 'notes' }, support.rolesOf)).toBe(false);
    expect([admin.reads, support.reads]).toEqual([1, 1]);
  });

  it('does not read them when the answer does not turn on them', async () => {
    const reader = rolesReader(['admin']);
    expect(await isTwoFactorRequiredFor(OPTIONAL, { accountId: 'account-1' }, reader.rolesOf)).toBe(false);
    expect(await isTwoFactorRequiredFor({ ...OPTIONAL, mode: 'required', requiredForRoles: ['admin'] }, { accountId: 'account-1' }, reader.rolesOf)).toBe(true);
    expect(await isTwoFactorRequiredFor({ ...OPTIONAL, requiredForRoles: ['admin'], requiredForClients: ['payroll'] }, { accountId: 'account-1', clientId: 'payroll' }, reader.rolesOf)).toBe(true);
    expect(reader.reads).toBe(0);
  });
});
