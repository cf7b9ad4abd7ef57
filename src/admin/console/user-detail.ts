// One person in full: profile, status, roles, two-factor, lockout, sessions and the recent audit
// events of the account, with every change an admin can make (user-actions.ts carries them out).
import { ADMIN_CONSOLE_PATHS as PATHS, adminConsolePath } from '../../paths.js';
import { deviceLabel } from '../../http/device-label.js';
import type { AuditLog } from '../../services/audit.js';
import type { PersonalAccessTokens } from '../../services/personal-access-tokens.js';
import type { RolesAndGroups } from '../../services/roles-and-groups.js';
import type { SessionService } from '../../services/sessions.js';
import type { UserDetail, UserDirectory } from '../../services/user-directory.js';
import { auditRowsOf } from './audit.js';
import { paramOf, queryText, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

const RECENT_EVENTS = 20;
const RECENT_DAYS_MS = 90 * 24 * 60 * 60 * 1000;

// Said after an action redirects back here; anything else in ?notice= is ignored.
export const USER_NOTICES: Record<string, string> = {
  created: 'The account was created.',
  'profile-saved': 'The profile was saved.',
  'email-verified': 'The email address is now marked as confirmed.',
  disabled: 'The account is disabled: its sessions ended and its grants and tokens were revoked.',
  enabled: 'The account can sign in again.',
  'two-factor-reset': 'Two-factor sign-in was reset: the authenticator, backup codes and remembered devices are gone.',
  'two-factor-off': 'The account had no two-factor sign-in to reset.',
  unlocked: 'The account is unlocked.',
  'not-locked': 'The account was not locked.',
  'reset-sent': 'A password-reset email is on its way.',
  'sessions-ended': 'Every session of the account was ended.',
  'session-ended': 'The session was ended.',
  'session-gone': 'That session had ended already.',
  'role-added': 'The role was granted.',
  'role-removed': 'The role was taken away.',
  'role-unchanged': 'Nothing changed: the account already had (or lacked) that role.',
  'token-revoked': 'The personal access token was revoked: it is refused from now on.',
  'token-gone': 'That personal access token was revoked or had expired already.',
};

export interface UserPageProblem {
  /** Which form the problem belongs to: its message is shown there. */
  form: 'profile' | 'roles' | 'actions';
  message: string;
  /** What was typed into the profile form, kept. */
  profile?: { name: string; givenName: string; familyName: string; email: string };
}

export function actionPath(id: string, action: string): string {
  return adminConsolePath(PATHS.userAction, { id, action });
}

export function createUserDetailSteps(deps: {
  userDirectory: UserDirectory; sessions: SessionService; audit: AuditLog; rolesAndGroups: RolesAndGroups;
  personalTokens: PersonalAccessTokens; pages: ConsolePages;
}) {
  const { userDirectory, sessions, audit, rolesAndGroups, personalTokens, pages } = deps;

  async function renderUser(ctx: ConsoleContext, user: UserDetail, problem?: UserPageProblem, status = 200): Promise<void> {
    const [liveSessions, recent, access, tokens] = await Promise.all([
      sessions.list(user.id),
      audit.query({ accountId: user.id, since: new Date(Date.now() - RECENT_DAYS_MS), limit: RECENT_EVENTS }),
      rolesAndGroups.effectiveAccessOf(user.id),
      personalTokens.list(user.id),
    ]);
    const now = Date.now();
    const notice = queryText(ctx, 'notice', 32);
    const action = (name: string) => actionPath(user.id, name);
    await pages.render(ctx, 'user', 'users', {
      title: user.email,
      user: { ...user, createdAt: user.createdAt.toISOString(), lockedUntil: user.lockout.lockedUntil?.toISOString() ?? null, passwordBlockedAt: user.passwordBlockedAt?.toISOString() ?? null },
      // What apps see: the account's own roles and those of its groups.
      groups: access.groups.map((name) => ({ name, path: adminConsolePath(PATHS.group, { name }) })),
      effectiveRoles: access.roles,
      profile: problem?.profile ?? { name: user.name ?? '', givenName: user.givenName ?? '', familyName: user.familyName ?? '', email: user.email },
      problem,
      notice: !problem && Object.hasOwn(USER_NOTICES, notice) ? USER_NOTICES[notice] : undefined,
      sessions: liveSessions.map((session) => ({
        uid: session.sessionUid, signedInAt: session.loginAt?.toISOString() ?? null, lastSeenAt: session.lastSeenAt.toISOString(),
        ip: session.ip, device: deviceLabel(session.userAgent), clients: session.clientIds.join(', '),
      })),
      // Never a token's value: only the person saw it, once, and only its hash is stored.
      personalTokens: tokens.map((token) => ({
        id: token.id, name: token.name, scopes: token.scopes.join(', '), createdAt: token.createdAt.toISOString(),
        lastUsedAt: token.lastUsedAt?.toISOString() ?? null, expiresAt: token.expiresAt.toISOString(),
        live: token.revokedAt === null && token.expiresAt.getTime() > now,
      })),
      events: auditRowsOf(recent.events),
      auditLink: `${PATHS.audit}?${new URLSearchParams({ account: user.id, period: '30d' }).toString()}`,
      usersPath: PATHS.users,
      paths: {
        profile: action('profile'), verifyEmail: action('verify-email'), disable: action('disable'), enable: action('enable'),
        remove: action('delete'), resetTwoFactor: action('reset-two-factor'), unlock: action('unlock'),
        sendPasswordReset: action('send-password-reset'), endSessions: action('end-sessions'), endSession: action('end-session'),
        addRole: action('add-role'), removeRole: action('remove-role'), revokePersonalToken: action('revoke-personal-token'),
      },
    }, status);
  }

  const showUser: ConsoleStep = async function showUser(ctx) {
    await renderUser(ctx, await userDirectory.show(paramOf(ctx, 'id')));
  };

  return { showUser, renderUser };
}
