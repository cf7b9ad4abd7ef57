// Recovery that works after a takeover, through real HTTP: the email-changed notice lets the OLD
// address take the account back (restores it, ends every session, blocks the password, mails a
// reset link; single use, expiring, refused when the address was taken), and "this wasn't me"
// blocks the password until a reset or an admin's new password lifts it.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { adminConsoleClient, adminToken, callAdminApi, createAdmin } from '../helpers/admin.js';
import { Browser, textOf, type Page } from '../helpers/browser.js';
import {
  appWithRelyingParty, asksForPassword, linkFromMail, sendQueuedMail, signInOffline, storageVariants, uniqueEmail,
} from '../helpers/accounts.js';
import { latestMailTo } from '../helpers/outbox.js';
import { buildAuthorizationRequest } from '../helpers/relying-party.js';
import type { TestApp } from '../helpers/start-app.js';

const PASSWORD = 'a long and memorable passphrase';
const NEW_PASSWORD = 'another entirely different passphrase';
const CHANGED_SUBJECT = 'The email address of your account was changed';
const BLOCKED = 'For your safety this password was blocked. Use the reset link we emailed, or ask for a new one.';

async function openAccountPage(app: TestApp, browser: Browser, path: string, email: string, password: string): Promise<Page> {
  const page = await browser.get(`${app.issuer}${path}`);
  if (!page.body.includes('name="password"') || !/\/interaction\//.test(page.url)) return page;
  return browser.submit(page, { button: 'Sign in', fields: { email, password } });
}

/** The login form of a fresh authorization request, filled in and posted. */
async function tryPassword(rp: oidc.Configuration, email: string, password: string): Promise<Page> {
  const browser = new Browser();
  const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
  const form = await browser.get(request.url.href, { followOrigins: [request.url.origin] });
  return browser.submit(form, { button: 'Sign in', fields: { email, password }, followOrigins: [request.url.origin] });
}

async function refreshFails(rp: oidc.Configuration, refreshToken: string): Promise<boolean> {
  return oidc.refreshTokenGrant(rp, refreshToken).then(() => false, (error: { error?: string }) => error.error === 'invalid_grant');
}

/** A signed-in browser moves the account to `newEmail` through the real pages; the undo link mailed to the old address. */
async function changeEmail(app: TestApp, browser: Browser, email: string, newEmail: string): Promise<string> {
  const form = await openAccountPage(app, browser, '/account/email', email, PASSWORD);
  await browser.submit(form, { button: 'Send confirmation link', fields: { email: newEmail, currentPassword: PASSWORD } });
  const confirm = await browser.get(await linkFromMail(app, newEmail, 'Confirm your new email address', '/account/email/confirm'));
  const changed = await browser.submit(confirm, { button: 'Confirm new address' });
  expect(new URL(changed.url).pathname).toBe('/account/email/changed');
  return linkFromMail(app, email, CHANGED_SUBJECT, '/account/email/undo');
}

async function resetPassword(app: TestApp, email: string): Promise<Page> {
  await sendQueuedMail(app);
  const browser = new Browser();
  const form = await browser.get(await linkFromMail(app, email, 'Reset your password', '/account/reset-password'));
  return browser.submit(form, { button: 'Change password', fields: { password: NEW_PASSWORD } });
}

describe.each(storageVariants)('undoing an email change on $name', ({ options }) => {
  const env = appWithRelyingParty(options);

  it('gives the old address back once: sessions end, the password is blocked until the mailed reset', async () => {
    const email = uniqueEmail('undo.owner');
    const thiefEmail = uniqueEmail('undo.thief');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true, name: 'Owner' });
    const thief = new Browser();
    const thiefTokens = await signInOffline(thief, env.rp, email, PASSWORD);
    const undoLink = await changeEmail(env.app, thief, email, thiefEmail);

    const notice = latestMailTo(env.app.config.mail.outboxDir, email)!;
    expect(notice.text).toContain('It works for 7 days, once');
    expect(notice.html).toContain(undoLink.replace(/&/g, '&amp;'));
    expect(notice.text).not.toContain('/account/forgot-password');

    // The GET (a mail scanner) changes nothing.
    const owner = new Browser();
    const confirm = await owner.get(undoLink);
    expect(confirm.status).toBe(200);
    expect(textOf(confirm)).toContain('your current password will stop working');
    expect(await env.app.context.users.findByEmail(thiefEmail)).toBeDefined();

    const done = await owner.submit(confirm, { button: 'Give my address back and reset my password' });
    expect(new URL(done.url).pathname).toBe('/account/email/undo/done');
    expect((await env.app.context.users.findByEmail(email))?.email).toBe(email);
    expect(await env.app.context.users.findByEmail(thiefEmail)).toBeUndefined();
    expect(await refreshFails(env.rp, thiefTokens.refresh_token!)).toBe(true);
    expect(await asksForPassword(thief, env.rp)).toBe(true);

    const blocked = await tryPassword(env.rp, email, PASSWORD);
    expect(blocked.status).toBe(403);
    expect(textOf(blocked)).toContain(BLOCKED);
    expect(blocked.body).toContain('href="/account/forgot-password"');

    // Single use.
    const again = await owner.submit(confirm, { button: 'Give my address back and reset my password' });
    expect(again.status).toBe(400);
    expect(textOf(again)).toContain('expired, was already used');

    const audit = await env.app.context.audit.query({ email, type: 'email.change_undone', since: new Date(Date.now() - 60_000), limit: 5 });
    expect(audit.events.map((event) => event.detail)).toEqual([{ undoneEmail: thiefEmail }]);

    // The reset link goes to the restored address and lifts the block.
    expect(new URL((await resetPassword(env.app, email)).url).pathname).toBe('/account/reset-password/done');
    expect((await tryPassword(env.rp, email, PASSWORD)).status).toBe(400);
    const signedIn = await tryPassword(env.rp, email, NEW_PASSWORD);
    expect(signedIn.body).not.toContain(BLOCKED);
    // Consent for this app is remembered, so the new password goes straight back to it with a code.
    expect(signedIn.status).toBe(303);
    expect(new URL(signedIn.location!).searchParams.get('code')).toBeTruthy();
  });

  it('still works after the address was moved on again, and then the later link is spent', async () => {
    const email = uniqueEmail('undo.chain');
    const first = uniqueEmail('undo.chain.b');
    const second = uniqueEmail('undo.chain.c');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const thief = new Browser();
    const ownersLink = await changeEmail(env.app, thief, email, first);
    const thiefsLink = await changeEmail(env.app, thief, first, second);

    const owner = new Browser();
    const done = await owner.submit(await owner.get(ownersLink), { button: 'Give my address back and reset my password' });
    expect(new URL(done.url).pathname).toBe('/account/email/undo/done');
    expect((await env.app.context.users.findByEmail(email))?.email).toBe(email);
    expect(await env.app.context.users.findByEmail(second)).toBeUndefined();

    const later = await new Browser().get(thiefsLink);
    expect(later.status).toBe(400);
    expect((await env.app.context.users.findByEmail(email))?.email).toBe(email);
  });

  it('refuses an expired link and a link whose address another account took', async () => {
    const email = uniqueEmail('undo.late');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const movedTo = uniqueEmail('undo.late.new');
    const undoLink = await changeEmail(env.app, new Browser(), email, movedTo);
    const owner = new Browser();
    const confirm = await owner.get(undoLink);
    expect(confirm.status).toBe(200);
    await env.app.context.users.create({ email, password: NEW_PASSWORD, emailVerified: true });
    const taken = await owner.submit(confirm, { button: 'Give my address back and reset my password' });
    expect(taken.status).toBe(400);
    expect(textOf(taken)).toContain('Another account uses your old address now');
    // Nothing changed: the account that moved still signs in with its password.
    const moved = await env.app.context.users.authenticateWithPassword(movedTo, PASSWORD);
    expect(moved).toMatchObject({ email: movedTo });
    expect(moved?.passwordBlocked).toBeUndefined();

    const second = uniqueEmail('undo.expired');
    await env.app.context.users.create({ email: second, password: PASSWORD, emailVerified: true });
    const expiring = await changeEmail(env.app, new Browser(), second, uniqueEmail('undo.expired.new'));
    await env.app.testDatabase.database.query("UPDATE email_change_undo_tokens SET expires_at = now() - interval '1 second' WHERE previous_email = $1", [second]);
    const expired = await new Browser().get(expiring);
    expect(expired.status).toBe(400);
    expect(textOf(expired)).toContain('expired, was already used');
  });
});

describe('"this wasn\'t me" blocks the password', () => {
  const env = appWithRelyingParty();

  async function notMe(email: string): Promise<void> {
    await signInOffline(new Browser(), env.rp, email, PASSWORD);
    await signInOffline(new Browser(), env.rp, email, PASSWORD);
    const owner = new Browser();
    const page = await owner.get(await linkFromMail(env.app, email, 'New sign-in to your account', '/account/not-me'));
    const done = await owner.submit(page, { button: 'Sign out everywhere and reset my password' });
    expect(new URL(done.url).pathname).toBe('/account/not-me/done');
  }

  it('refuses the right password with the message, answers a wrong one as usual, and a reset lifts it', async () => {
    const email = uniqueEmail('notme.block');
    await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    await notMe(email);

    const right = await tryPassword(env.rp, email, PASSWORD);
    expect(right.status).toBe(403);
    expect(textOf(right)).toContain(BLOCKED);
    expect(right.body).toContain('href="/account/forgot-password"');
    const wrong = await tryPassword(env.rp, email, 'not the password at all');
    expect(wrong.status).toBe(400);
    expect(textOf(wrong)).toContain('Incorrect email or password.');
    expect(textOf(wrong)).not.toContain('blocked');

    // Nor does it unlock the changes the account pages ask the password again for.
    const user = await env.app.context.users.findByEmail(email);
    const reauth = await env.app.context.reauthenticate(user!.id, PASSWORD, { action: 'password.changed', origin: { ip: '127.0.0.1', userAgent: 'test' } });
    expect(reauth).toEqual({ ok: false, reason: 'password-blocked' });

    const failures = await env.app.context.audit.query({ email, type: 'login.failure', since: new Date(Date.now() - 60_000), limit: 10 });
    expect(failures.events.map((event) => event.detail.reason)).toContain('password_blocked');

    expect(new URL((await resetPassword(env.app, email)).url).pathname).toBe('/account/reset-password/done');
    expect((await tryPassword(env.rp, email, NEW_PASSWORD)).body).not.toContain(BLOCKED);
    expect((await env.app.context.users.authenticateWithPassword(email, NEW_PASSWORD))?.passwordBlocked).toBeUndefined();
  });

  it('shows the block to an admin and lifts it with the admin\'s set-password', async () => {
    const email = uniqueEmail('notme.admin');
    const user = await env.app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    await notMe(email);
    const chief = uniqueEmail('notme.chief');
    await createAdmin(env.app, chief);
    const { token } = await adminToken(env.app, await adminConsoleClient(env.app), chief);
    const detail = await (await callAdminApi(env.app, `/users/${user.id}`, token)).json() as { password_blocked_at: string | null };
    expect(Date.parse(detail.password_blocked_at!)).toBeGreaterThan(Date.now() - 60_000);

    const set = await callAdminApi(env.app, `/users/${user.id}/password`, token, { method: 'PUT', json: { password: NEW_PASSWORD } });
    expect(set.status).toBe(200);
    const after = await (await callAdminApi(env.app, `/users/${user.id}`, token)).json() as { password_blocked_at: string | null };
    expect(after.password_blocked_at).toBeNull();
    expect((await tryPassword(env.rp, email, NEW_PASSWORD)).body).not.toContain(BLOCKED);
  });
});
