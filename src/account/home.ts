// /account: the signed-in person's home — profile (names), email address, and a link to every
// self-service page. The profile form keeps what was typed when it shows an error.
import { ACCOUNT_PATHS } from '../paths.js';
import { formFields, formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import { noProblems, problemsFromZod, type FormProblems } from '../http/form-problems.js';
import type { Renderer } from '../http/render.js';
import type { Organisations } from '../services/organisations.js';
import type { RolesAndGroups } from '../services/roles-and-groups.js';
import { profileSchema, type UserService } from '../services/users.js';
import { noticeOf, accountOf, type AccountContext, type AccountStep } from './steps.js';

const PROFILE_FIELDS = ['name', 'givenName', 'familyName'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];
type Profile = Record<ProfileField, string>;

// Confirmations shown after a change redirects home; anything else in ?notice= is ignored.
const NOTICES: Record<string, string> = {
  'profile-saved': 'Your profile was saved.',
  'password-changed': 'Your password was changed. Every other session of your account was signed out.',
};

export function createHomeSteps(deps: {
  users: UserService; renderer: Renderer; csrf: Csrf;
  /** What apps may learn of the person's access: their roles, groups and organisations. */
  rolesAndGroups: Pick<RolesAndGroups, 'effectiveAccessOf'>;
  organisations: Pick<Organisations, 'membershipsOf'>;
}) {
  const { users, renderer, csrf } = deps;

  async function renderHome(ctx: AccountContext, profile: Profile, problems: FormProblems<ProfileField>, status: number): Promise<void> {
    const { user } = accountOf(ctx);
    const notice = noticeOf(ctx, NOTICES);
    const [access, organisations] = await Promise.all([deps.rolesAndGroups.effectiveAccessOf(user.id), deps.organisations.membershipsOf(user.id)]);
    await renderer.render(ctx, 'account/home', {
      title: 'Your account',
      notice,
      email: user.email,
      emailVerified: user.emailVerified,
      profile,
      roles: access.roles,
      groups: access.groups,
      organisations: organisations.map(({ name, slug, orgRoles }) => ({ name, slug, orgRoles })),
      csrfToken: csrf.issue(ctx),
      errors: problems.summary,
      fieldErrors: problems.fields,
      paths: { ...ACCOUNT_PATHS, signOut: '/session/end' },
    }, status);
  }

  const showHome: AccountStep = async function showHome(ctx) {
    const { user } = accountOf(ctx);
    await renderHome(ctx, { name: user.name ?? '', givenName: user.givenName ?? '', familyName: user.familyName ?? '' }, noProblems(), 200);
  };

  const handleProfile: AccountStep = async function handleProfile(ctx) {
    const fields = formFields(formOf(ctx));
    const typed: Profile = { name: (fields.name ?? '').slice(0, 200), givenName: (fields.givenName ?? '').slice(0, 100), familyName: (fields.familyName ?? '').slice(0, 100) };
    const parsed = profileSchema.safeParse({ name: fields.name ?? '', givenName: fields.givenName ?? '', familyName: fields.familyName ?? '' });
    if (!parsed.success) return renderHome(ctx, typed, problemsFromZod(parsed.error, PROFILE_FIELDS), 400);
    await users.updateProfile(accountOf(ctx).user.id, parsed.data);
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATHS.home}?notice=profile-saved`);
  };

  return { showHome, handleProfile };
}
