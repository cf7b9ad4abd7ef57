// The message catalogues: every language has every key English has (and no stray ones), keeps
// each {{placeholder}}, and every text a view asks for by literal is in English's catalogue.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { SOURCE_LOCALE, SUPPORTED_LOCALES } from '../../src/i18n/locales.js';
import { createTranslator, readCatalogue } from '../../src/i18n/translator.js';

const LOCALES_DIR = path.join(PROJECT_ROOT, 'locales');
const english = readCatalogue(LOCALES_DIR, SOURCE_LOCALE);
const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]).filter((name) => name !== 'count').sort();

function viewFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? viewFiles(full) : entry.name.endsWith('.ejs') ? [full] : [];
  });
}

describe.each(SUPPORTED_LOCALES.filter((locale) => locale !== SOURCE_LOCALE))('the %s catalogue', (locale) => {
  const catalogue = readCatalogue(LOCALES_DIR, locale);

  test('has every key English has, each translated, and no key English lacks', () => {
    const missing = Object.keys(english).filter((key) => !(typeof catalogue[key] === 'string' && catalogue[key] !== ''));
    const stray = Object.keys(catalogue).filter((key) => !(key in english));
    expect(missing, `missing from locales/${locale}.json`).toEqual([]);
    expect(stray, `in locales/${locale}.json but not in English`).toEqual([]);
  });

  test('keeps every placeholder of the English text', () => {
    for (const [key, text] of Object.entries(english)) {
      expect(placeholders(catalogue[key] ?? ''), `${locale}: ${key}`).toEqual(placeholders(text));
    }
  });
});

test('every text a view translates by literal is a key of the English catalogue', () => {
  const literal = /\bt(?:Strong)?\(\s*'((?:[^'\\]|\\.)*)'/g;
  const keys = new Set(Object.keys(english).map((key) => key.replace(/_(one|other)$/, '')));
  const unknown: string[] = [];
  for (const file of viewFiles(path.join(PROJECT_ROOT, 'views'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(literal)) {
      const text = match[1]!.replace(/\\'/g, "'");
      if (!keys.has(text)) unknown.push(`${path.relative(PROJECT_ROOT, file)}: ${text}`);
    }
  }
  expect(unknown).toEqual([]);
});

test('a translator fills placeholders, picks plural forms and falls back to the English text', () => {
  const translator = createTranslator({ dir: LOCALES_DIR });
  const de = translator.forLocale('de');
  expect(de('Continue to {{app}}', { app: 'Payroll' })).toBe('Weiter zu Payroll');
  const locked = 'Too many sign-in attempts from your network. Try again in {{count}} minutes.';
  expect(de(locked, { count: 1 })).toBe('Zu viele Anmeldeversuche aus Ihrem Netzwerk. Versuchen Sie es in einer Minute erneut.');
  expect(de(locked, { count: 5 })).toBe('Zu viele Anmeldeversuche aus Ihrem Netzwerk. Versuchen Sie es in 5 Minuten erneut.');
  expect(translator.forLocale('en')(locked, { count: 1 })).toBe('Too many sign-in attempts from your network. Try again in a minute.');
  // A text no catalogue has yet reads in English, placeholders filled, never a key or an empty string.
  expect(de('Not yet translated: {{name}}.', { name: 'x' })).toBe('Not yet translated: x.');
  expect(translator.formatDateTime('de', new Date('2026-12-03T19:05:00Z'))).toBe('03.12.2026, 19:05 UTC');
  expect(translator.formatDateTime('en', new Date('2026-12-03T19:05:00Z'))).toBe('Dec 3, 2026, 7:05 PM UTC');
});
