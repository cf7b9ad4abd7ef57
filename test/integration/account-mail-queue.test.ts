// The account pages answer before any mail goes out (ASVS 5.0 V6.3.8): "forgot password",
// "resend verification" and registration only queue the address, and the worker sends the mail
// after the answer. Shown against a real SMTP server that holds every connection without a
// greeting until the test lets it speak: the answer must never wait on it, and nothing queued is
// lost once it speaks.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSettingsFiles, emailVerified } from '../helpers/accounts.js';
import { Browser } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { linksIn, parseMail, type ParsedMail } from '../helpers/outbox.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const settings = createSettingsFiles('gh-account-mail-');
afterAll(() => settings.remove());

interface HeldSmtpServer {
  port: number;
  /** Connections the client closed before the server greeted it: a sender that gave up waiting. */
  abandoned: number;
  received: ParsedMail[];
  /** Greets every held and future connection. */
  speak(): void;
  close(): Promise<void>;
}

async function startHeldSmtpServer(): Promise<HeldSmtpServer> {
  const held: (() => void)[] = [];
  const greeted = new Set<string>();
  let speaking = false;
  const sink: HeldSmtpServer = {
    port: 0,
    abandoned: 0,
    received: [],
    speak() {
      speaking = true;
      for (const release of held.splice(0)) release();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onConnect(session, callback) {
      const greet = () => { greeted.add(session.id); callback(); };
      if (speaking) greet();
      else held.push(greet);
    },
    onClose(session) {
      if (!greeted.has(session.id)) sink.abandoned += 1;
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        sink.received.push(parseMail(Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  return sink;
}

/** The account pages with their button, and an address with and one without a fitting account. */
const PAGES = [
  { path: '/account/forgot-password', button: 'Send the reset link', existing: 'known@example.test', unknown: 'nobody.reset@example.test' },
  { path: '/account/verify-email/resend', button: 'Send the email', existing: 'pending@example.test', unknown: 'nobody.resend@example.test' },
  { path: '/account/register', button: 'Create account', existing: 'known@example.test', unknown: 'new.person@example.test' },
] as const;

describe.each(storageKinds)('account mail through the queue on %s', (kind) => {
  let smtp: HeldSmtpServer;
  let app: TestApp;

  beforeAll(async () => {
    smtp = await startHeldSmtpServer();
    // One try of one second per send: a sender that waits on the server gives up within the test.
    // The worker never polls on its own here; the test runs it when it wants the mail sent.
    const file = settings.file('held-smtp', {
      mail: { retry: { attempts: 1, baseDelayMs: 0 }, smtpTimeoutMs: 1000, queue: { pollIntervalMs: 3_600_000 } },
    });
    app = await startTestApp({ kind, env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}?requireTLS=false`, SETTINGS_FILE: file } });
    await app.context.users.create({ email: 'known@example.test', name: 'Known Person', password: PASSWORD, emailVerified: true });
    await app.context.users.create({ email: 'pending@example.test', name: 'Pending Person', password: PASSWORD, emailVerified: false });
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
  });

  it('answers every account page without waiting on the mail server, alike for existing and unknown addresses', async () => {
    for (const page of PAGES) {
      const locations: string[] = [];
      for (const email of [page.existing, page.unknown]) {
        const browser = new Browser();
        const form = await browser.get(`${app.issuer}${page.path}`);
        const fields: Record<string, string> = page.path === '/account/register' ? { email, name: 'Someone', password: PASSWORD } : { email };
        const answer = await browser.submit(form, { button: page.button, fields, followRedirects: false });
        expect(answer.status, `${page.path} for ${email}`).toBe(303);
        locations.push(answer.location!);
        // The server has not said a word yet: no sender gave up on it before the answer left.
        expect(smtp.abandoned, `${page.path} for ${email} waited on the mail server`).toBe(0);
      }
      expect(locations[0]).toBe(locations[1]);
    }
    expect(smtp.received).toEqual([]);
  });

  it('sends what was queued once the mail server speaks: working links, and nothing to unknown addresses', async () => {
    smtp.speak();
    await app.app.accountMail.runOnce();
    const subjectsTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address)).map((mail) => mail.subject).sort();
    expect(subjectsTo('known@example.test')).toEqual(['Reset your password', 'Someone tried to register with your email address']);
    expect(subjectsTo('pending@example.test')).toEqual(['Confirm your email address']);
    expect(subjectsTo('new.person@example.test')).toEqual(['Confirm your email address']);
    expect(smtp.received).toHaveLength(4);
    const left = await app.context.database.query('SELECT kind FROM account_mail_jobs');
    expect(left.rows).toEqual([]);

    const browser = new Browser();
    const verifyMail = smtp.received.find((mail) => mail.to.includes('new.person@example.test'))!;
    const verifyLink = linksIn(verifyMail.text).find((link) => link.startsWith(`${app.issuer}/account/verify-email?token=`))!;
    const confirm = await browser.get(verifyLink);
    const confirmed = await browser.submit(confirm, { button: 'Confirm email address', followRedirects: false });
    expect(confirmed.status).toBe(303);
    expect(await emailVerified(app, 'new.person@example.test')).toBe(true);

    const resetMail = smtp.received.find((mail) => mail.subject === 'Reset your password')!;
    const resetLink = linksIn(resetMail.text).find((link) => link.startsWith(`${app.issuer}/account/reset-password?token=`))!;
    const resetForm = await browser.get(resetLink);
    expect(resetForm.status).toBe(200);
    expect(resetForm.body).toContain('name="password"');
  });
});

describe('account mail with two nodes on one database', () => {
  let first: Awaited<ReturnType<typeof startTestApp>>;
  let second: TestApp;

  beforeAll(async () => {
    const file = settings.file('two-nodes', { mail: { queue: { pollIntervalMs: 3_600_000 } } });
    first = await startTestApp({ kind: storageKinds.at(-1), env: { SETTINGS_FILE: file } });
    second = await startTestApp({ testDatabase: first.testDatabase, secrets: first.secrets, env: { SETTINGS_FILE: file } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('sends each queued mail once, whichever node claims it', async () => {
    const addresses = Array.from({ length: 6 }, (_, index) => `shared.${index}@example.test`);
    for (const email of addresses) await first.context.users.create({ email, password: PASSWORD, emailVerified: true });
    for (const email of addresses) {
      const browser = new Browser();
      const form = await browser.get(`${first.issuer}/account/forgot-password`);
      expect((await browser.submit(form, { button: 'Send the reset link', fields: { email }, followRedirects: false })).status).toBe(303);
    }
    const [sentByFirst, sentBySecond] = await Promise.all([first.app.accountMail.runOnce(), second.app.accountMail.runOnce()]);
    expect(sentByFirst + sentBySecond).toBe(addresses.length);
    const tokens = await first.context.database.query<{ count: string }>('SELECT count(*) FROM password_reset_tokens');
    expect(Number(tokens.rows[0]!.count)).toBe(addresses.length);
  });
});
