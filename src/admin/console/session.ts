// Who is signed in to the admin console. Signing in goes through Gatehouse itself as the built-in
// `gatehouse-admin` client (PKCE, consent implied: http/first-party-sign-in.ts); the console then
// keeps its own short-lived signed cookie naming the account and the Gatehouse session it came
// from. Every request checks, now rather than at sign-in, that the session still stands, the
// account is active and holds the admin role, and that the two-factor policy is met (ASVS 5.0
// V8.2.1 / V8.3.1: authorization enforced on each request at the trusted service layer).
import type Provider from 'oidc-provider';
import { createFirstPartySignIn } from '../../http/first-party-sign-in.js';
import { requestMeta } from '../../http/request-meta.js';
import { ACCOUNT_PATHS, ADMIN_CLIENT_ID, ADMIN_CONSOLE_PATHS, adminCallbackUrl } from '../../paths.js';
import type { AuditLog } from '../../services/audit.js';
import { isTwoFactorRequiredFor, type TwoFactorPolicy, type TwoFactorService } from '../../services/two-factor.js';
import { ADMIN_ROLE, type UserService } from '../../services/users.js';
import { redirectTo, type ConsoleContext, type ConsolePages, type ConsoleStep } from './state.js';

// OWASP Session Management Cheat Sheet: high-value sessions get short idle and absolute timeouts.
export const CONSOLE_IDLE_SECONDS = 30 * 60;
export const CONSOLE_ABSOLUTE_SECONDS = 8 * 60 * 60;
// The cookie is written again at most this often while the admin keeps working.
const REFRESH_AFTER_SECONDS = 60;

interface ConsoleCookie {
  /** Account id. */
  a: string;
  /** The Gatehouse session's uid: signing out of Gatehouse signs out of the console too. */
  s: string;
  /** Signed in at, and last seen at (epoch seconds). */
  i: number;
  l: number;
}

export interface ConsoleSessionDeps {
  provider: Provider;
  issuer: string;
  users: UserService;
  twoFactor: Pick<TwoFactorService, 'isEnrolled'>;
  twoFactorPolicy: TwoFactorPolicy;
  audit: AuditLog;
  pages: ConsolePages;
  /** The organisations in which an account holds the org role `admin` (services/organisations.ts). */
  organisationsAdministeredBy: (accountId: string) => Promise<string[]>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function createConsoleSession(deps: ConsoleSessionDeps) {
  const { provider, issuer, users, twoFactor, twoFactorPolicy, audit, pages } = deps;
  const secure = issuer.startsWith('https://');
  // Path /admin: the cookie goes nowhere else. Signed with COOKIE_SECRETS (the provider's keys);
  // over https __Secure- (RFC 6265bis §4.1.3; __Host- would need path /).
  const cookieName = secure ? '__Secure-gatehouse.admin' : 'gatehouse.admin';
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: ADMIN_CONSOLE_PATHS.home, signed: true, overwrite: true } as const;
  const signIn = createFirstPartySignIn({
    provider, issuer, clientId: ADMIN_CLIENT_ID, callbackUrl: adminCallbackUrl(issuer), cookieName: 'gatehouse.admin-sign-in',
    returnPath: /^\/admin(?:\/[A-Za-z0-9_-]+)*$/, defaultReturnPath: ADMIN_CONSOLE_PATHS.home,
  });

  function readCookie(ctx: ConsoleContext): ConsoleCookie | undefined {
    const raw = ctx.cookies.get(cookieName, { signed: true });
    if (!raw) return undefined;
    try {
      const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<ConsoleCookie>;
      if (typeof value.a !== 'string' || typeof value.s !== 'string' || typeof value.i !== 'number' || typeof value.l !== 'number') return undefined;
      return value as ConsoleCookie;
    } catch {
      return undefined;
    }
  }

  function writeCookie(ctx: ConsoleContext, value: ConsoleCookie): void {
    ctx.cookies.set(cookieName, Buffer.from(JSON.stringify(value)).toString('base64url'), { ...cookieOptions, maxAge: CONSOLE_IDLE_SECONDS * 1000 });
  }

  function clearCookie(ctx: ConsoleContext): void {
    ctx.cookies.set(cookieName, null, cookieOptions);
  }

  function isCurrent(cookie: ConsoleCookie, now: number): boolean {
    return now - cookie.l < CONSOLE_IDLE_SECONDS && now - cookie.i < CONSOLE_ABSOLUTE_SECONDS;
  }

  function sendToSignIn(ctx: ConsoleContext): void {
    // A form posted from an expired session comes back to its page's section, not to a replayed POST.
    const returnTo = ctx.method === 'GET' ? ctx.path : ADMIN_CONSOLE_PATHS.home;
    redirectTo(ctx, `${ADMIN_CONSOLE_PATHS.signIn}?return=${encodeURIComponent(returnTo)}`);
  }

  async function refuse(ctx: ConsoleContext, reason: 'not_admin' | 'two_factor_required', email: string, accountId: string): Promise<void> {
    await audit.record({
      type: 'admin.api_refused', outcome: 'failure', accountId, email, clientId: ADMIN_CLIENT_ID, ...requestMeta(ctx),
      detail: { reason, path: ctx.path.slice(0, 200) },
    });
    await pages.render(ctx, 'forbidden', 'dashboard', {
      title: reason === 'not_admin' ? 'You are not an admin' : 'Two-factor sign-in is required',
      reason, email, twoFactorPath: ACCOUNT_PATHS.twoFactor, signOutPath: '/session/end',
    }, 403);
  }

  /**
   * Who may enter this page, checked now: the global admin, or (when `organisationAdmins` is set)
   * an organisation admin, who is let in limited to their organisations. Anyone else gets a
   * sign-in or a 403 page.
   */
  function requireConsoleAccess(organisationAdmins: boolean): ConsoleStep {
    return async function requireAdmin(ctx, next) {
      const now = nowSeconds();
      const cookie = readCookie(ctx);
      const session = cookie && isCurrent(cookie, now) ? await provider.Session.get(ctx) : undefined;
      const user = session && session.accountId === cookie!.a && session.uid === cookie!.s ? await users.findById(cookie!.a) : undefined;
      if (!cookie || !user || user.status !== 'active') {
        // Expired, signed out of Gatehouse, or an account disabled since: signed out here too.
        if (cookie) clearCookie(ctx);
        sendToSignIn(ctx);
        return;
      }
      const roles = await users.effectiveRolesOf(user.id);
      const isAdmin = roles.includes(ADMIN_ROLE);
      // An organisation admin opening the console's home is sent to the one section they may use.
      const administered = isAdmin ? [] : await deps.organisationsAdministeredBy(user.id);
      if (!isAdmin && administered.length > 0 && !organisationAdmins && ctx.method === 'GET' && ctx.path === ADMIN_CONSOLE_PATHS.home) {
        return redirectTo(ctx, ADMIN_CONSOLE_PATHS.organisations);
      }
      if (!isAdmin && (!organisationAdmins || administered.length === 0)) return refuse(ctx, 'not_admin', user.email, user.id);
      const needsSecondFactor = await isTwoFactorRequiredFor(twoFactorPolicy, { accountId: user.id, clientId: ADMIN_CLIENT_ID }, async () => roles);
      if (needsSecondFactor && !(await twoFactor.isEnrolled(user.id))) return refuse(ctx, 'two_factor_required', user.email, user.id);
      if (now - cookie.l >= REFRESH_AFTER_SECONDS) writeCookie(ctx, { ...cookie, l: now });
      ctx.state.admin = isAdmin ? { user } : { user, organisations: administered };
      await next();
    };
  }

  const requireAdmin = requireConsoleAccess(false);
  /** For the organisation pages: global admins, and organisation admins limited to their own. */
  const requireOrganisationAdmin = requireConsoleAccess(true);

  const startSignIn: ConsoleStep = async function startSignIn(ctx) {
    signIn.start(ctx, ctx.query.return);
  };

  const finishSignIn: ConsoleStep = async function finishSignIn(ctx) {
    const outcome = await signIn.finish(ctx);
    if (!outcome.ok) {
      await pages.render(ctx, 'sign-in-failed', 'dashboard', { title: 'You are not signed in', message: outcome.message, signInPath: ADMIN_CONSOLE_PATHS.signIn }, 400);
      return;
    }
    const now = nowSeconds();
    writeCookie(ctx, { a: outcome.accountId, s: outcome.sessionUid, i: now, l: now });
    // The role and the rest are checked on the page it returns to, as on every request.
    redirectTo(ctx, outcome.returnTo);
  };

  /** Signs out of the console, then offers Gatehouse's own sign-out (the browser's whole session). */
  const signOut: ConsoleStep = async function signOut(ctx) {
    clearCookie(ctx);
    redirectTo(ctx, '/session/end');
  };

  return { requireAdmin, requireOrganisationAdmin, startSignIn, finishSignIn, signOut };
}
