// Types shared by the admin console's routes, and how a console page is rendered: inside the
// console's layout, with its navigation, the signed-in admin and a CSRF token for every form.
import type { RouterMiddleware } from '@koa/router';
import type { FormState } from '../../http/body.js';
import type { Csrf } from '../../http/csrf.js';
import type { Renderer } from '../../http/render.js';
import { ADMIN_CONSOLE_PATHS } from '../../paths.js';
import type { User } from '../../services/users.js';

export interface ConsoleAdmin {
  user: User;
  /** Set for an organisation admin who is not a global admin: the only organisations they may see and manage. */
  organisations?: readonly string[];
}

export interface ConsoleState extends FormState {
  /** Set by requireAdmin on every console page. */
  admin?: ConsoleAdmin;
}

export type ConsoleStep = RouterMiddleware<ConsoleState>;
export type ConsoleContext = Parameters<ConsoleStep>[0];

export type Section = 'dashboard' | 'clients' | 'users' | 'roles' | 'groups' | 'organisations' | 'audit' | 'deliveries' | 'keys';

/** The signed-in admin; only for steps that run after requireAdmin. */
export function adminOf(ctx: ConsoleContext): ConsoleAdmin {
  const { admin } = ctx.state;
  if (!admin) throw new TypeError('adminOf() needs requireAdmin earlier in the route');
  return admin;
}

/** What an admin's change is audited as being done by. */
export function byAdmin(ctx: ConsoleContext): { by: string } {
  return { by: `admin:${adminOf(ctx).user.id}` };
}

/** A route parameter as text (koa-router gives strings; anything else reads as empty). */
export function paramOf(ctx: ConsoleContext, name: string): string {
  const value = (ctx.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** A query parameter's first value as text, at most `max` characters; '' when absent. */
export function queryText(ctx: ConsoleContext, name: string, max = 320): string {
  const value = ctx.query[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.slice(0, max) : '';
}

export function redirectTo(ctx: ConsoleContext, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

export interface ConsolePages {
  render(ctx: ConsoleContext, view: string, section: Section, model: { title: string; [key: string]: unknown }, status?: number): Promise<void>;
}

export function createConsolePages(deps: { renderer: Renderer; csrf: Csrf }): ConsolePages {
  const { renderer, csrf } = deps;
  return {
    async render(ctx, view, section, model, status = 200) {
      const admin = ctx.state.admin;
      await renderer.render(ctx, `admin/${view}`, {
        ...model,
        layout: 'admin',
        nav: { section, email: admin?.user.email, paths: ADMIN_CONSOLE_PATHS, organisationsOnly: Boolean(admin?.organisations) },
        csrfToken: csrf.issue(ctx),
      }, status);
    },
  };
}
