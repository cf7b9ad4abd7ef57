// The two steps of a mailed single-use link: the GET only checks the link and shows a button, the
// POST spends it, so mail scanners that prefetch links cannot. Each page keeps its own words and views.
import { formOf } from '../http/body.js';
import type { Csrf } from '../http/csrf.js';
import type { Renderer } from '../http/render.js';
import { requestMeta } from '../http/request-meta.js';
import type { RequestOrigin } from '../services/audit.js';
import type { AccountContext, AccountStep } from './steps.js';

export interface ButtonLink<Failure, Done = true> {
  /** The page with the button, and the path its form posts to. */
  view: string;
  title: string;
  action: string;
  /** Where a spent link leads (303): a path, or one made from what spending it gave. */
  donePath: string | ((ctx: AccountContext, done: Done) => string | Promise<string>);
  /** Whether the link may be shown a button, without spending it. */
  isUsable(token: string): boolean | Promise<boolean>;
  /** Spends the link; true (or what isDone accepts), or why it could not be used. */
  use(token: string, origin: RequestOrigin): Promise<Done | Failure>;
  /** Whether use() spent the link; without it, only `true` counts. */
  isDone?(outcome: Done | Failure): outcome is Done;
  /** The page for a dead link: failure is undefined when the GET found it unusable. */
  renderInvalid(ctx: AccountContext, failure?: Failure): Promise<void>;
}

export function confirmByButton<Failure, Done = true>(deps: { renderer: Renderer; csrf: Csrf }, link: ButtonLink<Failure, Done>) {
  const { renderer, csrf } = deps;
  const isDone = link.isDone ?? ((outcome: Done | Failure): outcome is Done => outcome === true);

  const showButton: AccountStep = async function showButton(ctx) {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!(await link.isUsable(token))) return link.renderInvalid(ctx);
    await renderer.render(ctx, link.view, { title: link.title, action: link.action, csrfToken: csrf.issue(ctx), token });
  };

  const useLink: AccountStep = async function useLink(ctx) {
    const outcome = await link.use(formOf(ctx).get('token') ?? '', requestMeta(ctx));
    if (!isDone(outcome)) return link.renderInvalid(ctx, outcome);
    const { donePath } = link;
    ctx.status = 303;
    ctx.redirect(typeof donePath === 'string' ? donePath : await donePath(ctx, outcome));
  };

  return { showButton, useLink };
}
