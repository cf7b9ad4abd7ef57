// The two ways a message leaves Gatehouse: SMTP (SMTP_URL), or an .eml file in DATA_DIR/outbox.
// Only this file and email.ts know nodemailer exists.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTransport, type SendMailOptions } from 'nodemailer';

export interface Delivered {
  messageId: string;
  /** The outbox file, when the message was written rather than sent. */
  file?: string;
}

export type Deliver = (mail: SendMailOptions, template: string) => Promise<Delivered>;

export function createSmtpDelivery(options: { url: string; timeoutMs: number }): Deliver {
  const { url, timeoutMs } = options;
  // Keys here apply where the URL's query does not set them. A reset link is a credential, so
  // STARTTLS is required unless the URL opts out (?requireTLS=false, e.g. a local sink).
  const transporter = createTransport({
    url,
    requireTLS: new URL(url).protocol === 'smtp:',
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  });
  return async (mail) => {
    const info = await transporter.sendMail(mail);
    return { messageId: info.messageId };
  };
}

let sequence = 0;

/** Sorts by creation time, then by order within this process; the suffix keeps nodes apart. */
function outboxFileName(template: string, now: Date): string {
  sequence = (sequence + 1) % 1_000_000;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${String(sequence).padStart(6, '0')}-${template}-${randomBytes(3).toString('hex')}.eml`;
}

export function createOutboxDelivery(options: { dir: string }): Deliver {
  const { dir } = options;
  // RFC 5322 lines end in CRLF; the stream transport builds the same bytes SMTP would send.
  const transporter = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return async (mail, template) => {
    const info = await transporter.sendMail(mail);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, outboxFileName(template, new Date()));
    // The message carries single-use links: readable by the owner only, never overwritten.
    await writeFile(file, info.message as Buffer, { flag: 'wx', mode: 0o600 });
    return { messageId: info.messageId, file };
  };
}

/** The parts of SMTP_URL that must never reach a log: user, password and host. */
export function smtpUrlSecrets(url: string): string[] {
  const parsed = new URL(url);
  const password = [parsed.password, decodeURIComponent(parsed.password)];
  // Short user or host names would blank out ordinary words; a password of any length is hidden.
  const names = [parsed.username, decodeURIComponent(parsed.username), parsed.hostname].filter((part) => part.length >= 3);
  return [...new Set([...password, ...names].filter(Boolean))].sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
