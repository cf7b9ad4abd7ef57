// /account/tokens: personal access tokens for the person's own scripts and tools. Make one (a name,
// scopes from what the person may have, a lifetime in days), see its value once on the answer to
// that POST (never again: only a keyed hash is kept), list them with when each was made, last used
// and ends, and revoke one. A resource server checks such a token at introspection.
import { ValidationError } from '../errors.js';
import { ACCOUNT_PATHS } from '../paths.js';
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { formProblem, noProblems, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import { PERSONAL_TOKEN_DAYS, type PersonalAccessTokens } from '../services/personal-access-tokens.js';
import { accountOf, noticeOf, type AccountContext, type AccountStep } from './steps.js';

type Field = 'name' | 'scopes' | 'days';
const FIELDS: readonly Field[] = ['name', 'scopes', 'days'];

const NOTICES: Record<string, string> = {
  revoked: 'The token was revoked. Anything using it can no longer get in.',
  'already-revoked': 'That token had already been revoked or had expired.',
};

const DATE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

const SCOPE_LABELS: Record<string, string> = {
  profile: 'Your name (profile)',
  email: 'Your email address (email)',
  roles: 'Your roles (roles)',
  groups: 'Your groups (groups)',
};

interface Typed { name: string; scopes: string[]; days: string }

export function createPersonalTokensSteps(deps: { personalTokens: PersonalAccessTokens; renderer: Renderer; csrf: Csrf; issuer: string }) {
  const { personalTokens, renderer, csrf } = deps;

  async function renderTokens(
    ctx: AccountContext, view: { problems?: FormProblems<Field>; typed?: Typed; created?: { name: string; value: string } }, status: number,
  ): Promise<void> {
    const { user } = accountOf(ctx);
    const now = Date.now();
    const tokens = (await personalTokens.list(user.id)).map((token) => ({
      id: token.id, name: token.name, scopes: token.scopes.join(', '),
      created: DATE.format(token.createdAt), lastUsed: token.lastUsedAt ? DATE.format(token.lastUsedAt) : 'never',
      expires: DATE.format(token.expiresAt), revoked: token.revokedAt !== null || token.expiresAt.getTime() <= now,
    }));
    const typed = view.typed ?? { name: '', scopes: [], days: String(PERSONAL_TOKEN_DAYS.default) };
    const problems = view.problems ?? noProblems();
    await renderer.render(ctx, 'account/personal-tokens', {
      title: 'Personal access tokens',
      notice: noticeOf(ctx, NOTICES),
      created: view.created,
      tokens,
      scopes: personalTokens.offeredScopes.map((scope) => ({ value: scope, label: SCOPE_LABELS[scope] ?? `API access: ${scope}`, checked: typed.scopes.includes(scope) })),
      typed,
      maxDays: PERSONAL_TOKEN_DAYS.max,
      introspectionUrl: `${deps.issuer}/token/introspection`,
      errors: problems.summary,
      fieldErrors: problems.fields,
      csrfToken: csrf.issue(ctx),
      paths: ACCOUNT_PATHS,
    }, status);
  }

  const showTokens: AccountStep = async function showTokens(ctx) {
    await renderTokens(ctx, {}, 200);
  };

  const createToken: AccountStep = async function createToken(ctx) {
    const { user } = accountOf(ctx);
    const form = formOf(ctx);
    const typed: Typed = { name: form.get('name') ?? '', scopes: form.getAll('scope'), days: form.get('days') ?? '' };
    try {
      const { value, token } = await personalTokens.create(user, { name: typed.name, scopes: typed.scopes, days: typed.days.trim() === '' ? undefined : typed.days }, requestMeta(ctx));
      // The value is in this answer only; the router marks every account answer no-store.
      await renderTokens(ctx, { created: { name: token.name, value } }, 200);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const field = FIELDS.find((candidate) => error.fields?.[candidate] !== undefined) ?? null;
      await renderTokens(ctx, { problems: formProblem(error.message, field), typed }, 400);
    }
  };

  const revokeToken: AccountStep = async function revokeToken(ctx) {
    const { user } = accountOf(ctx);
    const revoked = await personalTokens.revoke(user, formOf(ctx).get('token') ?? '', requestMeta(ctx));
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.personalTokens}?notice=${revoked ? 'revoked' : 'already-revoked'}`);
  };

  return { showTokens, createToken, revokeToken };
}
