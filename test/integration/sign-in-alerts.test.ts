// A sign-in from a browser the account has not used before mails the owner, and
// the mail's "this wasn't me" link ends every session and refresh token and starts a reset.
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { appWithRelyingParty, asksForPassword, linkFromMail, sendQueuedMail, signInOffline, storageVariants } from '../helpers/accounts.js';
import { latestMailTo, outboxFiles, parseMail } from '../helpers/outbox.js';
import type { TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';

function mailsTo(app: TestApp, email: string, subject: string): number {
  return outboxFiles(app.config.mail.outboxDir)
    .map((file) => parseMail(readFileSync(file, 'utf8')))
    .filter((mail) => mail.to.includes(email) && mail.subject === subject).length;
}

describe.each(storageVariants)('new-device alerts on $name', ({ options }) => {
  const env = appWithRelyingParty(options);

  it('stays quiet on the first device and a known one, mails about a new one, and "this wasn\'t me" locks everyone out', async () => {
    const email = `alerts.${options.kind ?? 'redis'}@example.test`;
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Alert Owner' });
    const laptop = new Browser();
    await signInOffline(laptop, env.rp, email, PASSWORD);
    expect(mailsTo(env.app, email, 'New sign-in to your account')).toBe(0);

    const stranger = new Browser();
    const strangerTokens = await signInOffline(stranger, env.rp, email, PASSWORD);
    expect(mailsTo(env.app, email, 'New sign-in to your account')).toBe(1);
    const link = await linkFromMail(env.app, email, 'New sign-in to your account', '/account/not-me');
    const alert = latestMailTo(env.app.config.mail.outboxDir, email)!;
    expect(alert.text).toContain('IP address: 127.0.0.1');
    expect(alert.text).toMatch(/Device: \S+/);

    // The same browser again, with a fresh sign-in: known, so no second mail.
    await signInOffline(laptop, env.rp, email, PASSWORD);
    expect(mailsTo(env.app, email, 'New sign-in to your account')).toBe(1);

    const owner = new Browser();
    const page = await owner.get(link);
    expect(page.status).toBe(200);
    const done = await owner.submit(page, { button: 'Sign out everywhere and reset my password' });
    expect(new URL(done.url).pathname).toBe('/account/not-me/done');

    await expect(oidc.refreshTokenGrant(env.rp, strangerTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await asksForPassword(stranger, env.rp)).toBe(true);
    expect(await asksForPassword(laptop, env.rp)).toBe(true);
    await sendQueuedMail(env.app);
    expect(latestMailTo(env.app.config.mail.outboxDir, email)?.subject).toBe('Reset your password');
    expect((await owner.submit(page, { button: 'Sign out everywhere and reset my password' })).status).toBe(400);

    const audit = await env.app.context.audit.query({ email, type: 'session.ended', since: new Date(Date.now() - 60_000), limit: 10 });
    expect(audit.events.some((event) => event.detail.reason === 'not_me')).toBe(true);
  });
});
