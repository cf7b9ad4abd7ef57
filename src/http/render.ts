// Renders EJS views inside a layout (the hosted pages' card, or the admin console's). Views receive
// plain view models and escape everything they print; the only raw output is the view's own
// rendered HTML placed into the layout. Every view gets `t` (the page's language, http/locale.ts),
// `lang`, and `formatDateTime`; the title is translated here, as code names it in English.
import path from 'node:path';
import ejs from 'ejs';
import type Koa from 'koa';
import { LOCALE_NAMES, SOURCE_LOCALE, SUPPORTED_LOCALES, type Locale } from '../i18n/locales.js';
import type { Translate, Translator } from '../i18n/translator.js';
import { isWellFormedToken } from '../crypto/tokens.js';
import type { BrandView } from './branding.js';
import { LANGUAGE_PATH, type LocaleState } from './locale.js';

export interface PageModel {
  /** The document title and the page heading's default, in English (translated on rendering). */
  title: string;
  /** The layout around the view (views/layouts/<name>.ejs); it sees the whole model. Default: main. */
  layout?: 'main' | 'admin';
  [key: string]: unknown;
}

export interface Renderer {
  /** Renders `views/<view>.ejs` into the layout as the response body (text/html, no-store). */
  render(ctx: Koa.Context, view: string, model: PageModel, status?: number): Promise<void>;
  /** The HTML of a full page, for callers that do not answer through Koa. */
  renderPage(view: string, model: PageModel, locale?: Locale): Promise<string>;
}

// Tests that draw a page alone (no settings) see the shipped look.
const DEFAULT_BRAND: BrandView = { productName: 'Gatehouse', logoSrc: null, themeHref: '/branding/theme.css', support: null };

// The pages whose every text goes through a catalogue. Any other page is drawn in English with
// lang="en", until it is translated too: a page that says lang="de" over English text would be read
// aloud with a German voice (WCAG 2.2 SC 3.1.1).
const TRANSLATED_VIEWS: ReadonlySet<string> = new Set([
  'interaction/login', 'interaction/second-factor', 'interaction/enrol-two-factor', 'interaction/two-factor-ready',
  'interaction/federated-failed', 'interaction/federated-link', 'interaction/no-access', 'logout/confirm', 'logout/success',
]);

const VIEW_NAME = /^[a-z0-9-]+(\/[a-z0-9-]+)*$/;

/** What the footer's language picker needs: the languages, and the page to come back to. */
interface LanguagePicker {
  action: string;
  returnTo: string;
  /** The person's language, selected in the picker (the page itself may still be in English). */
  current: Locale;
  options: { code: Locale; name: string }[];
}

const PICKER_OPTIONS = SUPPORTED_LOCALES.map((code) => ({ code, name: LOCALE_NAMES[code] }));

/**
 * The page to come back to after picking a language: this page's path, keeping only a well-formed
 * link token of its query (a mailed link's page). Nothing else of the URL is echoed into the page.
 */
function returnPathOf(ctx: Koa.Context): string {
  const own = (ctx.state as { pagePath?: string }).pagePath;
  if (own) return own;
  const token = ctx.method === 'GET' ? ctx.query.token : undefined;
  return typeof token === 'string' && isWellFormedToken(token) ? `${ctx.path}?token=${token}` : ctx.path;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);

/**
 * A translated sentence as HTML with each value in <strong> (an app's name inside a sentence, whose
 * place differs between languages). Everything is escaped; only the <strong> tags are ours.
 */
function strongTranslator(t: Translate): (text: string, strong: Record<string, string>, plain?: Record<string, string>) => string {
  return (text, strong, plain = {}) => {
    const names = Object.keys(strong);
    const marks = Object.fromEntries(names.map((name, index) => [name, `\u0000${index}\u0000`]));
    // Plain values are escaped with the rest of the sentence; only the marked ones get <strong>.
    // eslint-disable-next-line no-control-regex -- the marks are NULs, which no translation holds
    return escapeHtml(t(text, { ...plain, ...marks })).replace(/\u0000(\d+)\u0000/g, (_mark, index: string) => `<strong>${escapeHtml(String(strong[names[Number(index)]!] ?? ''))}</strong>`);
  };
}

export function createRenderer(options: { viewsDir: string; cache: boolean; translator: Translator; brand?: BrandView }): Renderer {
  const { viewsDir, cache, translator } = options;
  const brand = options.brand ?? DEFAULT_BRAND;

  function viewPath(view: string): string {
    if (!VIEW_NAME.test(view)) throw new TypeError(`invalid view name: ${view}`);
    return path.join(viewsDir, `${view}.ejs`);
  }

  async function renderPage(view: string, model: PageModel, wanted: Locale = SOURCE_LOCALE, picker?: LanguagePicker): Promise<string> {
    const ejsOptions = { cache, async: false, rmWhitespace: false } as const;
    const locale = TRANSLATED_VIEWS.has(view) ? wanted : SOURCE_LOCALE;
    const t = translator.forLocale(locale);
    const localised = {
      ...model,
      title: t(model.title),
      lang: locale,
      t,
      tStrong: strongTranslator(t),
      formatDateTime: (date: Date | string) => translator.formatDateTime(locale, new Date(date)),
      languagePicker: picker,
      brand,
    };
    const body = await ejs.renderFile(viewPath(view), localised, ejsOptions);
    return ejs.renderFile(viewPath(`layouts/${model.layout ?? 'main'}`), { ...localised, body }, ejsOptions);
  }

  return {
    renderPage: (view, model, locale) => renderPage(view, model, locale),
    async render(ctx, view, model, status = 200) {
      const locale = (ctx.state as LocaleState).locale ?? SOURCE_LOCALE;
      const picker = { action: LANGUAGE_PATH, returnTo: returnPathOf(ctx), current: locale, options: PICKER_OPTIONS };
      const html = await renderPage(view, model, locale, picker);
      ctx.status = status;
      ctx.type = 'html';
      ctx.set('Content-Language', TRANSLATED_VIEWS.has(view) ? locale : SOURCE_LOCALE);
      // Pages carry CSRF tokens and personal data: never stored by browsers or proxies.
      ctx.set('Cache-Control', 'no-store');
      ctx.body = html;
    },
  };
}
