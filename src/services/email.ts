// Mail behind an interface we own: callers name a template and give plain data; the mailer
// renders it, delivers it (SMTP, or the development outbox), retries transient failures with
// backoff and finally throws MailDeliveryError, whose message is safe to show.
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../config.js';
import { MailDeliveryError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isLocale } from '../i18n/locales.js';
import { createEmailTemplates, type EmailTemplateData, type EmailTemplateName, type EmailTemplates, type MailBrand } from './email-templates.js';
import { createOutboxDelivery, createSmtpDelivery, redact, smtpUrlSecrets, type Deliver } from './email-transport.js';

export type { EmailTemplateData, EmailTemplateName } from './email-templates.js';

export interface MailMessage<T extends EmailTemplateName = EmailTemplateName> {
  /** One address; lists are refused so that user input can never add recipients. */
  to: string;
  template: T;
  data: EmailTemplateData[T];
  /** The reader's language (the account's, or the request's for a new one); English if unknown or not served. */
  locale?: string | null | undefined;
}

export interface SentMail {
  messageId: string;
  attempts: number;
  /** Outbox mode: the .eml file written. */
  file?: string;
}

export interface Mailer {
  /** Resolves once the message is accepted; throws MailDeliveryError after the last retry. */
  send<T extends EmailTemplateName>(message: MailMessage<T>): Promise<SentMail>;
}

export type MailTransport =
  | { kind: 'smtp'; url: string; timeoutMs: number }
  /** logLinks: development only; in production links are credentials and stay out of logs. */
  | { kind: 'outbox'; logLinks: boolean };

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the second try; doubled before each further one. */
  baseDelayMs: number;
}

export interface CreateMailerOptions {
  transport: MailTransport;
  from: string;
  logger: Logger;
  /** Required for the outbox transport. */
  outboxDir?: string;
  retry: RetryPolicy;
  templates?: EmailTemplates;
  /** The deployment's name and support contact, signed under every mail (settings `branding`). */
  brand?: MailBrand;
}

const SINGLE_ADDRESS = /^[^\s@,;<>"]+@[^\s@,;<>"]+$/;
// nodemailer error codes that no retry can fix; any SMTP reply code decides by its class instead.
const PERMANENT_CODES = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS', 'EREQUIRETLS']);
const LINK = /https?:\/\/[^\s<>"]+/g;

/** RFC 5321 §4.2.1: 4yz replies are transient, 5yz permanent; socket trouble is worth a retry. */
export function isTransient(error: unknown): boolean {
  const { responseCode, code } = (error ?? {}) as { responseCode?: unknown; code?: unknown };
  if (typeof responseCode === 'number') return responseCode < 500;
  return !(typeof code === 'string' && PERMANENT_CODES.has(code));
}

function describeFailure(error: unknown, secrets: readonly string[]) {
  const { code, responseCode, command, message } = (error ?? {}) as Record<string, unknown>;
  return { code, responseCode, command, message: redact(String(message ?? error), secrets) };
}

export function createMailer(options: CreateMailerOptions): Mailer {
  const { transport, from, logger, outboxDir, retry } = options;
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) throw new TypeError('retry.attempts must be a positive integer');
  if (!(retry.baseDelayMs >= 0)) throw new TypeError('retry.baseDelayMs must be zero or more');
  if (transport.kind === 'outbox' && !outboxDir) throw new TypeError('the outbox transport needs outboxDir');
  const templates = options.templates ?? createEmailTemplates({ dir: path.join(PROJECT_ROOT, 'views', 'emails'), cache: true, brand: options.brand });

  const deliver: Deliver = transport.kind === 'smtp'
    ? createSmtpDelivery(transport)
    : createOutboxDelivery({ dir: outboxDir! });
  const secrets = transport.kind === 'smtp' ? smtpUrlSecrets(transport.url) : [];
  const logLinks = transport.kind === 'outbox' && transport.logLinks;

  return {
    async send(message) {
      const { to, template, data } = message;
      if (!SINGLE_ADDRESS.test(to)) throw new TypeError('mail: `to` must be a single email address');
      const rendered = await templates.render(template, data, isLocale(message.locale) ? message.locale : undefined);
      const mail = { from, to: { name: '', address: to }, subject: rendered.subject, text: rendered.text, html: rendered.html };

      for (let attempt = 1; ; attempt += 1) {
        try {
          const delivered = await deliver(mail, template);
          if (logLinks) {
            logger.info({ template, to, file: delivered.file, links: [...new Set(rendered.text.match(LINK))] }, 'mail written to the outbox');
          } else {
            logger.info({ template, messageId: delivered.messageId, attempt }, 'mail sent');
          }
          return { ...delivered, attempts: attempt };
        } catch (error) {
          const retrying = attempt < retry.attempts && isTransient(error);
          const failure = { template, attempt, attempts: retry.attempts, err: describeFailure(error, secrets) };
          if (!retrying) {
            logger.error(failure, 'mail not delivered');
            throw new MailDeliveryError(error);
          }
          logger.warn(failure, 'mail delivery failed; retrying');
          await sleep(retry.baseDelayMs * 2 ** (attempt - 1));
        }
      }
    },
  };
}

/** The mailer options a process gets from its configuration. */
export function mailerOptions(config: Config, logger: Logger): CreateMailerOptions {
  const { mail, settings } = config;
  const transport: MailTransport = mail.transport === 'smtp'
    ? { kind: 'smtp', url: mail.smtpUrl, timeoutMs: settings.mail.smtpTimeoutMs }
    : { kind: 'outbox', logLinks: config.env === 'development' };
  const brand = { productName: settings.branding.productName, supportContact: settings.branding.supportContact };
  return { transport, from: mail.from, logger, outboxDir: mail.outboxDir, retry: settings.mail.retry, brand };
}

/**
 * The longest one send() can take: every try may spend the connection, greeting and socket
 * timeouts, with the backoff sleeps between tries.
 */
export function longestSendMs(retry: RetryPolicy, smtpTimeoutMs: number): number {
  return retry.attempts * 3 * smtpTimeoutMs + retry.baseDelayMs * (2 ** retry.attempts - 1);
}

/**
 * Sends a notice whose loss must not undo what it reports (password changed, address changed):
 * a delivery failure is logged under `what` with the account id only, never thrown.
 */
export async function sendNotice<T extends EmailTemplateName>(
  mailer: Mailer, logger: Logger, message: MailMessage<T>, context: { userId: string; what: string },
): Promise<void> {
  try {
    await mailer.send(message);
  } catch (error) {
    if (!(error instanceof MailDeliveryError)) throw error;
    logger.error({ userId: context.userId }, `${context.what} not delivered`);
  }
}
