// Mail as the later flows will use it: the development outbox (.eml files + logged links), a real
// SMTP server (smtp-server on 127.0.0.1) with AUTH, retries with backoff, and escaping.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { MailDeliveryError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { createMailer, mailerOptions, type CreateMailerOptions } from '../../src/services/email.js';
import { createEmailTemplates, EMAIL_TEMPLATE_NAMES, type EmailTemplateData } from '../../src/services/email-templates.js';
import { PROJECT_ROOT } from '../../src/config.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { hrefsIn, linksIn, outboxFiles, parseMail } from '../helpers/outbox.js';

const FROM = 'Gatehouse <no-reply@gatehouse.test>';
const LINK = 'http://localhost:3000/account/verify-email?token=tok_abc123&next=%2Faccount';
const SMTP_USER = 'mailer@gatehouse.test';
const SMTP_PASSWORD = 'p@ss w0rd:/secret';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-mail-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Sink { port: number; received: { raw: string; to: string[]; user: string | undefined }[]; rcptAttempts: number }

async function startSink(overrides: Partial<SMTPServerOptions> = {}): Promise<Sink> {
  const sink: Sink = { port: 0, received: [], rcptAttempts: 0 };
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      sink.rcptAttempts += 1;
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        sink.received.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          user: session.user as string | undefined,
        });
        callback();
      });
    },
    ...overrides,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return sink;
}

function smtpUrl(port: number): string {
  // No TLS on the test sink, so the URL opts out of the STARTTLS requirement.
  return `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}?requireTLS=false`;
}

function smtpMailer(port: number, logger: Logger, retry = { attempts: 3, baseDelayMs: 1 }): ReturnType<typeof createMailer> {
  const options: CreateMailerOptions = { transport: { kind: 'smtp', url: smtpUrl(port), timeoutMs: 2000 }, from: FROM, logger, retry };
  return createMailer(options);
}

const verifyEmail = { to: 'ada@example.com', template: 'verify-email', data: { name: 'Ada', link: LINK, expiresInHours: 24 } } as const;

describe('outbox mode (no SMTP_URL)', () => {
  it('writes a real multipart/alternative .eml to DATA_DIR/outbox and logs the link', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ env: { NODE_ENV: 'development', DATA_DIR: dataDir, MAIL_FROM: FROM }, notice: () => undefined });
    const { logger, entries } = captureLogger();
    const mailer = createMailer({ ...mailerOptions(config, logger), retry: { attempts: 1, baseDelayMs: 0 } });

    const sent = await mailer.send(verifyEmail);

    const files = outboxFiles(path.join(dataDir, 'outbox'));
    expect(files).toEqual([sent.file]);
    expect(path.basename(files[0]!)).toMatch(/^\d{8}T\d{9}Z-\d{6}-verify-email-[0-9a-f]{6}\.eml$/);
    const raw = readFileSync(files[0]!, 'utf8');
    expect(raw).not.toMatch(/[^\r]\n/); // RFC 5322: every line ends in CRLF
    const mail = parseMail(raw);
    expect(mail.contentType).toMatch(/^multipart\/alternative; boundary=/);
    expect([...mail.parts.keys()]).toEqual(['text/plain', 'text/html']);
    expect(mail.to).toBe('ada@example.com');
    expect(mail.from).toBe(FROM);
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.headers.get('message-id')).toBe(sent.messageId);
    expect(linksIn(mail.text)).toEqual([LINK]);
    expect(hrefsIn(mail.html)).toEqual([LINK]);
    expect(mail.html).toContain(LINK.replace(/&/g, '&amp;')); // shown as text too
    expect(mail.text).toContain('Hello Ada,');

    const logged = entries().find((entry) => entry.msg === 'mail written to the outbox');
    expect(logged).toMatchObject({ level: 30, template: 'verify-email', to: 'ada@example.com', file: files[0], links: [LINK] });
  });

  it('names files so that they sort in the order they were written', async () => {
    const outboxDir = path.join(tempDir(), 'outbox');
    const { logger } = captureLogger();
    const mailer = createMailer({ transport: { kind: 'outbox', logLinks: false }, from: FROM, logger, outboxDir, retry: { attempts: 1, baseDelayMs: 0 } });
    const sent = [
      (await mailer.send({ to: 'ada@example.com', template: 'password-reset', data: { link: LINK, expiresInMinutes: 30 } })).file,
      (await mailer.send(verifyEmail)).file,
      (await mailer.send({ to: 'ada@example.com', template: 'password-changed', data: { changedAt: new Date(), resetLink: LINK } })).file,
    ];
    expect(outboxFiles(outboxDir)).toEqual(sent);
  });

  it('does not log links or bodies when links are not to be logged (production outbox)', async () => {
    const { logger, lines } = captureLogger();
    const mailer = createMailer({ transport: { kind: 'outbox', logLinks: false }, from: FROM, logger, outboxDir: path.join(tempDir(), 'outbox'), retry: { attempts: 1, baseDelayMs: 0 } });
    await mailer.send(verifyEmail);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('tok_abc123');
    expect(lines[0]).not.toContain('ada@example.com');
  });
});

describe('SMTP mode', () => {
  it('delivers both parts to a real SMTP server, authenticated, without logging the link', async () => {
    const sink = await startSink();
    const { logger, lines } = captureLogger();
    const sent = await smtpMailer(sink.port, logger).send(verifyEmail);

    expect(sent.attempts).toBe(1);
    expect(sink.received).toHaveLength(1);
    const [arrived] = sink.received;
    expect(arrived!.user).toBe(SMTP_USER);
    expect(arrived!.to).toEqual(['ada@example.com']);
    const mail = parseMail(arrived!.raw);
    expect(mail.contentType).toMatch(/^multipart\/alternative/);
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.from).toBe(FROM);
    expect(linksIn(mail.text)).toEqual([LINK]);
    expect(hrefsIn(mail.html)).toEqual([LINK]);
    expect(lines.join('')).not.toContain('tok_abc123');
    expect(lines.join('')).not.toContain(SMTP_PASSWORD);
  });

  it('retries a refusing server the configured number of times with backoff, then throws MailDeliveryError', async () => {
    const sink = await startSink({
      onRcptTo(_address, _session, callback) {
        sink.rcptAttempts += 1;
        callback(Object.assign(new Error('Mailbox busy, try later'), { responseCode: 451 }));
      },
    });
    const { logger, lines, entries } = captureLogger();
    const started = Date.now();
    const error = await smtpMailer(sink.port, logger, { attempts: 3, baseDelayMs: 25 }).send(verifyEmail).catch((e: unknown) => e);

    expect(sink.rcptAttempts).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25 + 50 - 5);
    expect(error).toBeInstanceOf(MailDeliveryError);
    const failure = error as MailDeliveryError;
    expect(failure).toMatchObject({ status: 503, code: 'temporarily_unavailable', expose: true });
    expect(failure.message).toBe('We could not send the email right now. Please try again in a few minutes.');
    for (const secret of ['127.0.0.1', String(sink.port), SMTP_USER, SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD), '451']) {
      expect(failure.message).not.toContain(secret);
    }
    expect((failure.cause as { responseCode?: number }).responseCode).toBe(451);

    expect(entries().map((entry) => entry.msg)).toEqual([
      'mail delivery failed; retrying', 'mail delivery failed; retrying', 'mail not delivered',
    ]);
    expect(entries()[2]).toMatchObject({ level: 50, template: 'verify-email', attempt: 3, attempts: 3, err: { responseCode: 451 } });
    const log = lines.join('');
    for (const secret of [SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD), SMTP_USER, '127.0.0.1', 'tok_abc123']) {
      expect(log).not.toContain(secret);
    }
  });

  it('does not retry a permanent refusal (5xx)', async () => {
    const sink = await startSink({
      onRcptTo(_address, _session, callback) {
        sink.rcptAttempts += 1;
        callback(Object.assign(new Error('No such user'), { responseCode: 550 }));
      },
    });
    const { logger } = captureLogger();
    await expect(smtpMailer(sink.port, logger).send(verifyEmail)).rejects.toBeInstanceOf(MailDeliveryError);
    expect(sink.rcptAttempts).toBe(1);
  });

  it('retries when nothing listens on the port, and keeps host and credentials out of error and log', async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { logger, lines, entries } = captureLogger();

    const error = await smtpMailer(port, logger).send(verifyEmail).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailDeliveryError);
    expect((error as Error).message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|smtp/i);
    expect((error as Error).message).not.toContain(String(port));
    expect(entries().filter((entry) => entry.msg === 'mail delivery failed; retrying')).toHaveLength(2);
    const log = lines.join('');
    expect(log).toContain('ECONNREFUSED');
    for (const secret of [SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD), SMTP_USER, '127.0.0.1']) expect(log).not.toContain(secret);
  });
});

describe('templates', () => {
  const templates = createEmailTemplates({ dir: path.join(PROJECT_ROOT, 'views', 'emails'), cache: false });
  const hostile = '<script>alert("x")</script> & O\'Brien\r\nBcc: evil@example.com';
  const changedAt = new Date(Date.UTC(2026, 4, 1, 12, 30));
  const samples: { [T in keyof EmailTemplateData]: EmailTemplateData[T] } = {
    'verify-email': { name: hostile, link: LINK, expiresInHours: 24 },
    'password-reset': { name: hostile, link: LINK, expiresInMinutes: 30 },
    'password-changed': { name: hostile, changedAt, resetLink: LINK },
    'registration-attempt': { name: hostile, signInLink: 'http://localhost:3000/account', resetLink: LINK },
    'email-changed': { name: hostile, newEmail: '"><img src=x>@example.com', changedAt, undoLink: LINK, undoExpiresInDays: 7 },
    'confirm-email-change': { name: hostile, link: LINK, expiresInHours: 24 },
    'email-change-attempt': { name: hostile, resetLink: LINK },
    'account-closed': { name: hostile, action: 'deactivated', closedAt: changedAt, reactivation: 'Sign in again to reactivate it.' },
    invitation: { invitedBy: hostile, link: LINK, expiresInDays: 7 },
    'account-locked': { name: hostile, lockedUntil: changedAt, lockedSource: 'the network address 203.0.113.9', unlockLink: LINK, resetLink: LINK },
    'second-factor-locked': { name: hostile, lockedUntil: changedAt, resetLink: LINK },
    'new-sign-in': { name: hostile, signedInAt: changedAt, device: hostile, ip: '203.0.113.9', notMeLink: LINK },
    'two-factor-reset': { name: hostile, resetAt: changedAt, resetLink: LINK },
    'organisation-invitation': { organisation: hostile, link: LINK, expiresInDays: 7 },
  };

  it.each(EMAIL_TEMPLATE_NAMES)('%s renders a subject, a text and an HTML part with data escaped', async (name) => {
    const rendered = await templates.render(name, samples[name] as never);
    expect(rendered.subject.length).toBeGreaterThan(5);
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    expect(rendered.html).toMatch(/^<!DOCTYPE html>\s*<html lang="en">/);
    expect(rendered.html).toContain(`<title>${rendered.subject}</title>`);
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.html).not.toContain('<img');
    expect(rendered.html).toContain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; O&#39;Brien');
    expect(rendered.text).toContain('<script>alert("x")</script> & O\'Brien Bcc: evil@example.com');
    expect(rendered.text).not.toMatch(/^Bcc:/m);
    // A notice without an action (account closed) carries no link at all.
    const hasLink = Object.keys(samples[name]).some((key) => /link$/i.test(key));
    expect(linksIn(rendered.text)).toEqual(hasLink ? expect.arrayContaining([LINK]) : []);
    expect(hrefsIn(rendered.html)).toEqual(hasLink ? expect.arrayContaining([LINK]) : []);
  });

  it('prints dates as UTC text and greets without a name when there is none', async () => {
    const rendered = await templates.render('password-changed', { changedAt, resetLink: LINK });
    expect(rendered.text).toContain('May 1, 2026, 12:30 PM UTC');
    expect(rendered.text).toMatch(/^Hello,$/m);
    expect(rendered.html).toContain('Hello,');
  });

  it('refuses links that are not http(s) and unknown templates', async () => {
    await expect(templates.render('verify-email', { link: 'javascript:alert(1)', expiresInHours: 1 })).rejects.toThrow(/link must be an http\(s\) URL/);
    await expect(templates.render('../layout' as never, {} as never)).rejects.toThrow(/unknown email template/);
  });

  it('refuses a recipient list, so input can never add recipients', async () => {
    const { logger } = captureLogger();
    const mailer = createMailer({ transport: { kind: 'outbox', logLinks: true }, from: FROM, logger, outboxDir: path.join(tempDir(), 'outbox'), retry: { attempts: 1, baseDelayMs: 0 } });
    for (const to of ['ada@example.com, eve@example.com', 'Ada <ada@example.com>', 'ada@example.com\r\nBcc: eve@example.com']) {
      await expect(mailer.send({ ...verifyEmail, to })).rejects.toThrow(TypeError);
    }
  });
});
