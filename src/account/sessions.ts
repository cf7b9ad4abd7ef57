// /account/sessions: where the person is signed in — device, address, when, which apps — with
// this browser marked; sign out one other session, or every other one. Each end goes through the
// sessions service, so the apps those sessions used hear of it by back-channel logout, and it is
// audited. This browser's own session ends through the ordinary sign-out (/session/end).
import type Provider from 'oidc-provider';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { deviceLabel } from '../http/device-label.js';
import { formProblem, noProblems, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { utcTime, type UtcTime } from '../http/utc-time.js';
import { isSessionUid, type SessionService, type SignedInSession } from '../services/sessions.js';
import { noticeOf, accountOf, type AccountContext, type AccountStep } from './steps.js';

// oidc-provider session uids are nanoids: 21 URL-safe characters (any length up to 64 accepted).

const NOTICES: Record<string, string> = {
  'signed-out': 'That session was signed out. The apps it used were told.',
  'already-ended': 'That session had already ended.',
  'signed-out-others': 'Every other session was signed out. The apps they used were told.',
  'no-others': 'You are not signed in anywhere else.',
};

export interface SessionView {
  uid: string;
  device: string;
  ip: string;
  /** In UTC on the page; public/local-times.js may show them in the browser's time zone. */
  signedInAt: UtcTime | null;
  lastSeenAt: UtcTime;
  expiresAt: UtcTime;
  remembered: boolean;
  apps: string[];
  current: boolean;
}

export function createSessionsSteps(deps: {
  sessions: SessionService; provider: Provider; renderer: Renderer; csrf: Csrf; expiryWarningSeconds: number;
}) {
  const { sessions: signedInSessions, provider, renderer, csrf, expiryWarningSeconds } = deps;

  async function appNames(clientIds: string[], names: Map<string, string>): Promise<string[]> {
    for (const clientId of clientIds) {
      if (names.has(clientId)) continue;
      const client = clientId === ACCOUNT_CLIENT_ID ? undefined : await provider.Client.find(clientId).catch(() => undefined);
      names.set(clientId, clientId === ACCOUNT_CLIENT_ID ? 'Your Gatehouse account' : String(client?.clientName ?? 'An app that was removed'));
    }
    return clientIds.map((clientId) => names.get(clientId)!);
  }

  async function toViews(rows: SignedInSession[], currentSessionId: string): Promise<SessionView[]> {
    const names = new Map<string, string>();
    const views = [];
    for (const row of rows) {
      views.push({
        uid: row.sessionUid,
        device: deviceLabel(row.userAgent),
        ip: row.ip ?? 'unknown',
        signedInAt: row.loginAt ? utcTime(row.loginAt) : null,
        lastSeenAt: utcTime(row.lastSeenAt),
        expiresAt: utcTime(row.expiresAt),
        remembered: row.remembered,
        apps: await appNames(row.clientIds, names),
        current: row.sessionId === currentSessionId,
      });
    }
    // This browser first, then the others newest first.
    return views.sort((a, b) => Number(b.current) - Number(a.current));
  }

  async function renderSessions(ctx: AccountContext, problems: FormProblems<'session'>, status: number): Promise<void> {
    const { user, sessionId } = accountOf(ctx);
    const sessions = await toViews(await signedInSessions.list(user.id), sessionId);
    const notice = noticeOf(ctx, NOTICES);
    await renderer.render(ctx, 'account/sessions', {
      title: "Where you're signed in",
      notice,
      sessions,
      current: sessions.find((session) => session.current),
      others: sessions.filter((session) => !session.current).length,
      expiryWarningSeconds,
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      paths: { ...ACCOUNT_PATHS, signOut: '/session/end', signInAgain: `${ACCOUNT_PATHS.signIn}?return=${encodeURIComponent(ACCOUNT_PATHS.sessions)}` },
    }, status);
  }

  function goTo(ctx: AccountContext, notice: string): void {
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.sessions}?notice=${notice}`);
  }

  const showSessions: AccountStep = async function showSessions(ctx) {
    await renderSessions(ctx, noProblems(), 200);
  };

  const endOneSession: AccountStep = async function endOneSession(ctx) {
    const { user, sessionId } = accountOf(ctx);
    const uid = formOf(ctx).get('session') ?? '';
    if (!isSessionUid(uid)) return renderSessions(ctx, formProblem('Choose a session to sign out.', 'session'), 400);
    const row = await signedInSessions.findByUid(user.id, uid);
    if (!row) return goTo(ctx, 'already-ended');
    if (row.sessionId === sessionId) {
      return renderSessions(ctx, formProblem('To sign out of this browser, use "Sign out" instead.', 'session'), 400);
    }
    await signedInSessions.end(row.sessionId, 'signed-out');
    return goTo(ctx, 'signed-out');
  };

  const endOtherSessions: AccountStep = async function endOtherSessions(ctx) {
    const { user, sessionId } = accountOf(ctx);
    const ended = await signedInSessions.endOthers(user.id, sessionId, 'signed-out-elsewhere');
    return goTo(ctx, ended.length === 0 ? 'no-others' : 'signed-out-others');
  };

  return { showSessions, endOneSession, endOtherSessions };
}
