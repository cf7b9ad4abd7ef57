// Which language a page is written in. In order: the language the person picks on the page (the
// footer's picker, remembered in a cookie for a year), the app's `ui_locales` for a sign-in it
// started (OpenID Connect Core §3.1.2.1; see interactions/load-interaction.ts), then the browser's
// Accept-Language, then English. A choice made during a sign-in outranks that sign-in's
// `ui_locales`; an older choice does not.
import type Koa from 'koa';
import { AppError } from '../errors.js';
import { firstServedLocale, isLocale, SOURCE_LOCALE, SUPPORTED_LOCALES, type Locale } from '../i18n/locales.js';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;
export const LANGUAGE_PATH = '/language';

export interface LocaleState {
  locale?: Locale;
  /** When the person last picked a language (seconds), from the cookie. */
  localeChosenAt?: number;
  /** Remembers a language for this browser's later pages (the account pages it goes on to). */
  rememberLocale?: (locale: Locale, atSeconds: number) => void;
}

const cookieName = (secure: boolean) => (secure ? '__Host-gatehouse.lang' : 'gatehouse.lang');

/** `de.1764800000`: the language and when it was chosen. */
function parseChoice(value: string | undefined): { locale: Locale; at: number } | undefined {
  const match = /^([a-z]{2})\.(\d{1,12})$/.exec(value ?? '');
  if (!match || !isLocale(match[1])) return undefined;
  return { locale: match[1], at: Number(match[2]) };
}

/** Sets ctx.state.locale for everything after it (pages, error pages, mails a request sends). */
export function pickLocale(options: { secure: boolean }): Koa.Middleware {
  const name = cookieName(options.secure);
  const cookieOptions = choiceCookieOptions(options.secure);
  return async function pickRequestLocale(ctx, next) {
    const state = ctx.state as LocaleState;
    state.rememberLocale = (locale, atSeconds) => ctx.cookies.set(name, `${locale}.${atSeconds}`, cookieOptions);
    const choice = parseChoice(ctx.cookies.get(name));
    const accepted = ctx.acceptsLanguages(...SUPPORTED_LOCALES);
    state.locale = choice?.locale ?? (isLocale(accepted) ? accepted : SOURCE_LOCALE);
    if (choice) state.localeChosenAt = choice.at;
    await next();
  };
}

/**
 * `ui_locales` of the sign-in being shown, when we serve one of them and the person has not picked
 * a language since the sign-in began (`startedAt`, seconds).
 */
export function preferUiLocales(ctx: { state: LocaleState }, uiLocales: unknown, startedAt: number): void {
  const requested = firstServedLocale(uiLocales);
  if (!requested) return;
  const chosenAt = ctx.state.localeChosenAt;
  if (chosenAt !== undefined && chosenAt >= startedAt) return;
  ctx.state.locale = requested;
  // Registration, reset and the other pages this sign-in may lead to stay in the app's language.
  // Dated at the sign-in's start: a later sign-in's ui_locales still outranks it.
  if (chosenAt !== startedAt - 1) ctx.state.rememberLocale?.(requested, startedAt - 1);
}

/** A same-site path to go back to: one leading slash, no scheme, host or backslash (no open redirect). */
function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/account';
  return /^\/(?![/\\])[^\\\s]*$/.test(value) ? value : '/account';
}

/** GET /language?lang=de&return=/path: the footer's picker; remembers the choice and goes back. */
function choiceCookieOptions(secure: boolean) {
  return { httpOnly: true, sameSite: 'lax', secure, path: '/', overwrite: true, maxAge: ONE_YEAR_MS } as const;
}

export function languageChoiceRoute(options: { secure: boolean }): Koa.Middleware {
  const name = cookieName(options.secure);
  const cookieOptions = choiceCookieOptions(options.secure);
  return async function chooseLanguage(ctx, next) {
    if (ctx.path !== LANGUAGE_PATH || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const { lang } = ctx.query;
    if (!isLocale(lang)) throw new AppError('Choose one of the languages offered.', { status: 400, code: 'invalid_language' });
    ctx.cookies.set(name, `${lang}.${Math.floor(Date.now() / 1000)}`, cookieOptions);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(safeReturnPath(ctx.query.return));
  };
}
