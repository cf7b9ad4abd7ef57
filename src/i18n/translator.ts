// Message catalogues for pages and mails, through i18next. Keys are the English text itself
// (gettext's way): a string not yet in a catalogue still reads correctly in English, and code that
// produces messages (form problems, page titles) needs no separate key. English's catalogue lists
// every key, so a test can show each other language has them all.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import i18next, { type TFunction } from 'i18next';
import { SOURCE_LOCALE, SUPPORTED_LOCALES, type Locale } from './locales.js';

export type Translate = (text: string, values?: Record<string, unknown>) => string;

export interface Translator {
  /** `text` (an English catalogue key) in `locale`, with `{{name}}` placeholders filled from values. */
  forLocale(locale: Locale): Translate;
  /**
   * A date and time in the locale's words, in UTC and marked as such: the server does not know the
   * reader's time zone (a page's script may rewrite it to the browser's, see public/local-time.js).
   */
  formatDateTime(locale: Locale, date: Date): string;
}

export type Catalogue = Record<string, string>;

export function readCatalogue(dir: string, locale: Locale): Catalogue {
  return JSON.parse(readFileSync(path.join(dir, `${locale}.json`), 'utf8')) as Catalogue;
}

export function createTranslator(options: { dir: string }): Translator {
  const resources = Object.fromEntries(SUPPORTED_LOCALES.map((locale) => [locale, { translation: readCatalogue(options.dir, locale) }]));
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    lng: SOURCE_LOCALE,
    fallbackLng: SOURCE_LOCALE,
    supportedLngs: [...SUPPORTED_LOCALES],
    // English sentences are the keys: no key or namespace separators inside them.
    keySeparator: false,
    nsSeparator: false,
    // EJS escapes what a view prints; escaping here too would show entities.
    interpolation: { escapeValue: false },
    returnEmptyString: false,
    initAsync: false,
  });
  const fixed = new Map<Locale, TFunction>(SUPPORTED_LOCALES.map((locale) => [locale, instance.getFixedT(locale)]));
  const formats = new Map(SUPPORTED_LOCALES.map((locale) => [locale, new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })]));

  return {
    forLocale(locale) {
      const t = fixed.get(locale)!;
      return (text, values) => (values ? t(text, values) : t(text)) as string;
    },
    formatDateTime(locale, date) {
      return `${formats.get(locale)!.format(date)} UTC`;
    },
  };
}
