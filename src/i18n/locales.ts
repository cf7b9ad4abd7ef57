// The languages Gatehouse's pages and mails are written in, and how a request's wishes are matched
// to them. Pure functions on the ground floor: pages (http/) and mails (services/) both use them.

/** Each has a catalogue in locales/<code>.json; English is the source every other one translates. */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr', 'es'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const SOURCE_LOCALE: Locale = 'en';

/** Each language in its own words, for the language picker. */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = { en: 'English', de: 'Deutsch', fr: 'Français', es: 'Español' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value);
}

/** A BCP 47 tag we serve: the tag itself (`de`), or its language (`de-AT` -> `de`). */
export function localeOfTag(tag: string): Locale | undefined {
  const language = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(language) ? language : undefined;
}

/**
 * The first of a space-separated list of BCP 47 tags in order of preference (OpenID Connect Core
 * §3.1.2.1 `ui_locales`) that we serve; bounded, as it comes from outside.
 */
export function firstServedLocale(tags: unknown): Locale | undefined {
  if (typeof tags !== 'string') return undefined;
  for (const tag of tags.slice(0, 200).split(' ').slice(0, 10)) {
    const locale = localeOfTag(tag);
    if (locale) return locale;
  }
  return undefined;
}
