// /account/two-factor: a signed-in person turns two-factor sign-in on (authenticator app confirmed
// by one code, then ten backup codes shown once), gets new backup codes (password asked again),
// turns it off (password and a current code) and forgets remembered devices.
import { BusyError, ConflictError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { formProblem, type FormProblems, inMinutes, isWithinPasswordByteLimit, noProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { CODE_MESSAGES, codeOf, enrolmentView } from '../http/two-factor-views.js';
import type { AuditLog } from '../services/audit.js';
import type { Reauthenticate } from '../services/reauthentication.js';
import type { TrustedDeviceService } from '../services/trusted-devices.js';
import type { TwoFactorService } from '../services/two-factor.js';
import { reauthenticationProblem } from './reauthentication-problems.js';
import { noticeOf, accountOf, type AccountContext, type AccountStep } from './steps.js';

type Field = 'currentPassword' | 'code';
type FormName = 'regenerate' | 'disable';
interface Failed { form: FormName; problems: FormProblems<Field> }

const NOTICES: Record<string, string> = {
  'two-factor-off': 'Two-factor sign-in is off. Your backup codes and remembered devices were removed.',
  'device-forgotten': 'The device was forgotten. It will be asked for a code at its next sign-in.',
  'devices-forgotten': 'All devices were forgotten. Each will be asked for a code at its next sign-in.',
  'already-on': 'Two-factor sign-in is already on.',
};

// The audit type a refused password is recorded under, per form.
const ACTIONS = { regenerate: 'two_factor.backup_codes_regenerated', disable: 'two_factor.disabled' } as const;

const DATE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

export function createTwoFactorSteps(deps: {
  twoFactor: TwoFactorService; trustedDevices: TrustedDeviceService; reauthenticate: Reauthenticate; audit: AuditLog; renderer: Renderer; csrf: Csrf;
}) {
  const { twoFactor, trustedDevices, reauthenticate, audit, renderer, csrf } = deps;

  function goTo(ctx: AccountContext, path: string): void {
    ctx.status = 303;
    ctx.redirect(path);
  }

  type RecordedType = 'two_factor.enrolled' | 'two_factor.disabled' | 'two_factor.backup_codes_regenerated' | 'trusted_device.revoked';
  function record(ctx: AccountContext, type: RecordedType, detail: Record<string, string | number> = {}): Promise<void> {
    const { user } = accountOf(ctx);
    return audit.record({ type, outcome: 'success', accountId: user.id, email: user.email, ...requestMeta(ctx), detail: { during: 'account', ...detail } });
  }

  // The two password forms share field names, so each gets its own element ids for the summary links.
  function problemsFor(form: FormName, failed: Failed | undefined): FormProblems<string> {
    if (failed?.form !== form) return noProblems();
    const summary = failed.problems.summary.map((problem) => ({ ...problem, field: problem.field && `${form}-${problem.field}` }));
    return { summary, fields: failed.problems.fields };
  }

  async function renderStatus(ctx: AccountContext, failed: Failed | undefined, status: number): Promise<void> {
    const { user } = accountOf(ctx);
    const [state, devices] = await Promise.all([twoFactor.status(user.id), trustedDevices.list(user.id)]);
    await renderer.render(ctx, 'account/two-factor', {
      title: 'Two-factor sign-in',
      notice: noticeOf(ctx, NOTICES),
      enrolled: state.enrolled,
      backupCodesLeft: state.backupCodesLeft,
      devices: devices.map((device) => ({
        id: device.id, label: device.label, since: DATE.format(device.createdAt), lastUsed: DATE.format(device.lastUsedAt), until: DATE.format(device.expiresAt),
      })),
      csrfToken: csrf.issue(ctx),
      regenerate: problemsFor('regenerate', failed),
      disable: problemsFor('disable', failed),
      paths: ACCOUNT_PATHS,
    }, status);
  }

  async function renderEnrol(ctx: AccountContext, problems: FormProblems<'code'>, status: number): Promise<void> {
    const { user } = accountOf(ctx);
    let enrolment;
    try {
      enrolment = await twoFactor.currentEnrolment(user.id, user.email);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return goTo(ctx, `${ACCOUNT_PATHS.twoFactor}?notice=already-on`);
    }
    await renderer.render(ctx, 'account/two-factor-enrol', {
      title: 'Set up two-factor sign-in',
      enrolment: enrolmentView(enrolment),
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
      paths: ACCOUNT_PATHS,
    }, status);
  }

  function renderBackupCodes(ctx: AccountContext, backupCodes: string[], enrolled: boolean): Promise<void> {
    // 200 to the POST itself: the codes are in no URL and, with no-store, in no cache.
    return renderer.render(ctx, 'account/backup-codes', {
      title: enrolled ? 'Two-factor sign-in is on' : 'Your new backup codes', enrolled, backupCodes, paths: ACCOUNT_PATHS,
    });
  }

  /** Checks the current password again (rate-limited); true when refused, the page then already answered. */
  async function passwordRefused(ctx: AccountContext, form: FormName): Promise<boolean> {
    const password = formOf(ctx).get('currentPassword') ?? '';
    if (password === '' || !isWithinPasswordByteLimit(password)) {
      await renderStatus(ctx, { form, problems: formProblem('Enter your current password.', 'currentPassword') }, 400);
      return true;
    }
    let outcome;
    try {
      outcome = await reauthenticate(accountOf(ctx).user.id, password, { action: ACTIONS[form], origin: requestMeta(ctx) });
    } catch (error) {
      if (!(error instanceof BusyError)) throw error;
      await renderStatus(ctx, { form, problems: formProblem(error.message) }, 503);
      return true;
    }
    if (outcome.ok) return false;
    const { problems, status } = reauthenticationProblem(ctx, outcome);
    await renderStatus(ctx, { form, problems }, status);
    return true;
  }

  const showTwoFactor: AccountStep = async function showTwoFactor(ctx) {
    await renderStatus(ctx, undefined, 200);
  };

  /** A new secret each time the person starts; the GET that follows shows it (and shows it again on reload). */
  const startEnrolment: AccountStep = async function startEnrolment(ctx) {
    const { user } = accountOf(ctx);
    try {
      await twoFactor.beginEnrolment(user.id, user.email);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return goTo(ctx, `${ACCOUNT_PATHS.twoFactor}?notice=already-on`);
    }
    goTo(ctx, ACCOUNT_PATHS.twoFactorEnrol);
  };

  const showEnrolment: AccountStep = async function showEnrolment(ctx) {
    await renderEnrol(ctx, noProblems(), 200);
  };

  const confirmEnrolment: AccountStep = async function confirmEnrolment(ctx) {
    const code = codeOf(formOf(ctx));
    if (code === '') return renderEnrol(ctx, formProblem(CODE_MESSAGES.missing, 'code'), 400);
    const outcome = await twoFactor.confirmEnrolment(accountOf(ctx).user.id, code);
    if (!outcome.ok) return renderEnrol(ctx, formProblem(CODE_MESSAGES.invalid, 'code'), 400);
    await record(ctx, 'two_factor.enrolled');
    await renderBackupCodes(ctx, outcome.backupCodes, true);
  };

  const regenerateBackupCodes: AccountStep = async function regenerateBackupCodes(ctx) {
    if (await passwordRefused(ctx, 'regenerate')) return;
    let codes;
    try {
      codes = await twoFactor.regenerateBackupCodes(accountOf(ctx).user.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return goTo(ctx, ACCOUNT_PATHS.twoFactor);
    }
    await record(ctx, 'two_factor.backup_codes_regenerated');
    await renderBackupCodes(ctx, codes, false);
  };

  /** Password and a current code (or a backup code): a borrowed session alone cannot remove the second factor. */
  const disableTwoFactor: AccountStep = async function disableTwoFactor(ctx) {
    const code = codeOf(formOf(ctx));
    if (code === '') return renderStatus(ctx, { form: 'disable', problems: formProblem(CODE_MESSAGES.missingOrBackup, 'code') }, 400);
    if (await passwordRefused(ctx, 'disable')) return;
    const { user } = accountOf(ctx);
    const outcome = await twoFactor.verifySecondFactor(user.id, code);
    if (!outcome.ok) {
      await audit.record({ type: 'second_factor.failure', outcome: 'failure', accountId: user.id, email: user.email, ...requestMeta(ctx), detail: { reason: outcome.reason, during: 'disable' } });
      if (outcome.reason === 'locked') {
        const seconds = Math.max(1, Math.ceil(((outcome.lockedUntil?.getTime() ?? Date.now()) - Date.now()) / 1000));
        ctx.set('Retry-After', String(seconds));
        return renderStatus(ctx, { form: 'disable', problems: formProblem(`Too many wrong codes. Try again in ${inMinutes(seconds)}.`, 'code') }, 429);
      }
      return renderStatus(ctx, { form: 'disable', problems: formProblem(CODE_MESSAGES[outcome.reason], 'code') }, 400);
    }
    if (await twoFactor.disable(user.id)) await record(ctx, 'two_factor.disabled', { method: outcome.method });
    goTo(ctx, `${ACCOUNT_PATHS.twoFactor}?notice=two-factor-off`);
  };

  const revokeDevice: AccountStep = async function revokeDevice(ctx) {
    const deviceId = formOf(ctx).get('deviceId') ?? '';
    // An id that is not (or no longer) this person's changes nothing; the list shows what is left.
    if (await trustedDevices.revoke(accountOf(ctx).user.id, deviceId)) await record(ctx, 'trusted_device.revoked', { deviceId });
    goTo(ctx, `${ACCOUNT_PATHS.twoFactor}?notice=device-forgotten`);
  };

  const revokeAllDevices: AccountStep = async function revokeAllDevices(ctx) {
    const count = await trustedDevices.revokeAll(accountOf(ctx).user.id);
    if (count > 0) await record(ctx, 'trusted_device.revoked', { count });
    goTo(ctx, `${ACCOUNT_PATHS.twoFactor}?notice=devices-forgotten`);
  };

  return { showTwoFactor, startEnrolment, showEnrolment, confirmEnrolment, regenerateBackupCodes, disableTwoFactor, revokeDevice, revokeAllDevices };
}
