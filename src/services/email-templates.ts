// Email templates: views/emails/<name>.subject.ejs, <name>.txt.ejs and <name>.html.ejs, each
// rendered from plain data into the matching layout. Every message has a text and an HTML part.
import path from 'node:path';
import ejs from 'ejs';
import { PROJECT_ROOT } from '../config.js';
import { SOURCE_LOCALE, type Locale } from '../i18n/locales.js';
import { createTranslator, type Translator } from '../i18n/translator.js';

/** The data each template needs. Links are absolute http(s) URLs built by the caller. */
export interface EmailTemplateData {
  'verify-email': { name?: string; link: string; expiresInHours: number };
  'password-reset': { name?: string; link: string; expiresInMinutes: number };
  'password-changed': { name?: string; changedAt: Date; resetLink: string };
  'registration-attempt': { name?: string; signInLink: string; resetLink: string };
  /** Without `undoLink` (an admin's change) the old address is told to ask the administrator. */
  'email-changed': { name?: string; newEmail: string; changedAt: Date; undoLink?: string; undoExpiresInDays?: number };
  'confirm-email-change': { name?: string; link: string; expiresInHours: number };
  'email-change-attempt': { name?: string; resetLink: string };
  'account-closed': { name?: string; action: 'deactivated' | 'deleted'; closedAt: Date; reactivation: string };
  invitation: { link: string; expiresInDays: number; invitedBy?: string };
  'organisation-invitation': { link: string; organisation: string; expiresInDays: number };
  'account-locked': { name?: string; lockedUntil: Date; lockedSource: string; unlockLink: string; resetLink: string };
  'second-factor-locked': { name?: string; lockedUntil: Date; resetLink: string };
  'new-sign-in': { name?: string; signedInAt: Date; device: string; ip: string; notMeLink: string };
  'two-factor-reset': { name?: string; resetAt: Date; resetLink: string };
}

export type EmailTemplateName = keyof EmailTemplateData;

export const EMAIL_TEMPLATE_NAMES: readonly EmailTemplateName[] = [
  'verify-email', 'password-reset', 'password-changed', 'registration-attempt', 'email-changed',
  'confirm-email-change', 'email-change-attempt', 'account-closed', 'invitation', 'account-locked', 'new-sign-in',
  'second-factor-locked', 'two-factor-reset', 'organisation-invitation',
];

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface EmailTemplates {
  /** Subject, text and HTML of `template` in `locale` (English by default). */
  render<T extends EmailTemplateName>(template: T, data: EmailTemplateData[T], locale?: Locale): Promise<RenderedEmail>;
}

// Control characters (CR/LF included) in data could forge lines of a text part or a header.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;
const LINK_KEY = /(^l|L)ink$/;

function escapeText(value: unknown): string {
  return String(value).replace(CONTROL_CHARACTERS, ' ');
}

/** Plain strings and numbers only: dates become UTC text in the mail's language, links must be http(s) URLs. */
function toViewModel(template: string, data: object, formatDate: (date: Date) => string): Record<string, string | number> {
  const model: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (LINK_KEY.test(key) && (typeof value !== 'string' || !/^https?:\/\//.test(value))) {
      throw new TypeError(`email ${template}: ${key} must be an http(s) URL`);
    }
    model[key] = value instanceof Date ? formatDate(value) : typeof value === 'number' ? value : String(value);
  }
  return model;
}

// The mails whose every text goes through a catalogue; the others are sent in English until they are.
const TRANSLATED_TEMPLATES: ReadonlySet<EmailTemplateName> = new Set(['verify-email', 'password-reset', 'new-sign-in']);

/** Who a mail says it is from, in its footer. */
export interface MailBrand {
  productName: string;
  supportContact: string | null;
}

const DEFAULT_BRAND: MailBrand = { productName: 'Gatehouse', supportContact: null };

export function createEmailTemplates(options: { dir: string; cache: boolean; brand?: MailBrand | undefined; translator?: Translator }): EmailTemplates {
  const { dir, cache } = options;
  const brand = options.brand ?? DEFAULT_BRAND;
  const translator = options.translator ?? createTranslator({ dir: path.join(PROJECT_ROOT, 'locales') });
  const html = { cache, async: false } as const;
  // Text parts and subjects are not HTML: no entity escaping, only control characters removed.
  const text = { cache, async: false, escape: escapeText } as const;

  async function renderFile(file: string, model: object, ejsOptions: ejs.Options): Promise<string> {
    return ejs.renderFile(path.join(dir, file), model, ejsOptions);
  }

  return {
    async render(template, data, wanted = SOURCE_LOCALE) {
      if (!EMAIL_TEMPLATE_NAMES.includes(template)) throw new TypeError(`unknown email template: ${String(template)}`);
      const locale = TRANSLATED_TEMPLATES.has(template) ? wanted : SOURCE_LOCALE;
      const words = { t: translator.forLocale(locale), lang: locale };
      const model = { ...toViewModel(template, data, (date) => translator.formatDateTime(locale, date)), ...words };
      const subject = escapeText(await renderFile(`${template}.subject.ejs`, model, text)).trim();
      const textBody = await renderFile(`${template}.txt.ejs`, model, text);
      const htmlBody = await renderFile(`${template}.html.ejs`, model, html);
      return {
        subject,
        text: await renderFile('layout.txt.ejs', { body: textBody.trim(), brand, ...words }, text),
        html: await renderFile('layout.html.ejs', { subject, body: htmlBody, brand, ...words }, html),
      };
    },
  };
}
