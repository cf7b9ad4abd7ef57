// Renders EJS views inside a layout (the hosted pages' card, or the admin console's). Views receive
// plain view models and escape everything they print; the only raw output is the view's own
// rendered HTML placed into the layout.
import path from 'node:path';
import ejs from 'ejs';
import type Koa from 'koa';

export interface PageModel {
  /** The document title and the page heading's default. */
  title: string;
  /** The layout around the view (views/layouts/<name>.ejs); it sees the whole model. Default: main. */
  layout?: 'main' | 'admin';
  [key: string]: unknown;
}

export interface Renderer {
  /** Renders `views/<view>.ejs` into the layout as the response body (text/html, no-store). */
  render(ctx: Koa.Context, view: string, model: PageModel, status?: number): Promise<void>;
  /** The HTML of a full page, for callers that do not answer through Koa. */
  renderPage(view: string, model: PageModel): Promise<string>;
}

const VIEW_NAME = /^[a-z0-9-]+(\/[a-z0-9-]+)*$/;

export function createRenderer(options: { viewsDir: string; cache: boolean }): Renderer {
  const { viewsDir, cache } = options;

  function viewPath(view: string): string {
    if (!VIEW_NAME.test(view)) throw new TypeError(`invalid view name: ${view}`);
    return path.join(viewsDir, `${view}.ejs`);
  }

  async function renderPage(view: string, model: PageModel): Promise<string> {
    const ejsOptions = { cache, async: false, rmWhitespace: false } as const;
    const body = await ejs.renderFile(viewPath(view), model, ejsOptions);
    return ejs.renderFile(viewPath(`layouts/${model.layout ?? 'main'}`), { ...model, body }, ejsOptions);
  }

  return {
    renderPage,
    async render(ctx, view, model, status = 200) {
      const html = await renderPage(view, model);
      ctx.status = status;
      ctx.type = 'html';
      // Pages carry CSRF tokens and personal data: never stored by browsers or proxies.
      ctx.set('Cache-Control', 'no-store');
      ctx.body = html;
    },
  };
}
