// Types shared by the self-service routes.
import type { LocaleState } from '../http/locale.js';
import type { RouterMiddleware } from '@koa/router';
import type { FormState } from '../http/body.js';
import type { User } from '../services/users.js';

export interface SignedInAccount {
  user: User;
  /** The oidc-provider session this browser is signed in with. */
  sessionId: string;
}

export interface AccountState extends FormState, LocaleState {
  /** Set by requireSignedIn on the pages of a signed-in person. */
  account?: SignedInAccount;
}

export type AccountStep = RouterMiddleware<AccountState>;
export type AccountContext = Parameters<AccountStep>[0];

/** The signed-in person; only for steps that run after requireSignedIn. */
export function accountOf(ctx: AccountContext): SignedInAccount {
  const { account } = ctx.state;
  if (!account) throw new TypeError('accountOf() needs requireSignedIn earlier in the route');
  return account;
}

/** The notice a page was redirected to show (`?notice=`), only from the page's own list (not Object's properties). */
export function noticeOf(ctx: { query: Record<string, unknown> }, notices: Readonly<Record<string, string>>): string | undefined {
  const key = ctx.query.notice;
  return typeof key === 'string' && Object.hasOwn(notices, key) ? notices[key] : undefined;
}
