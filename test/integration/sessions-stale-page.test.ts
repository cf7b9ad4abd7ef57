// The sessions page after its own session ended elsewhere, without JavaScript: a form posted from
// the stale page changes nothing and is answered "you have been signed out" (401), with a link
// that signs in again and comes back to the page; never a 5xx. Times are <time> elements in UTC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../helpers/accounts.js';
import { Browser, parseForms, textOf } from '../helpers/browser.js';
import { openAccountPage, SESSION_TEST_PASSWORD, sessionUidsOn } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe('a stale sessions page', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  it('answers a form posted after its session ended with "you have been signed out"', async () => {
    const email = uniqueEmail('grace');
    await app.context.users.create({ email, password: SESSION_TEST_PASSWORD, emailVerified: true });
    const laptop = new Browser();
    const phone = new Browser();
    await openAccountPage(app, laptop, '/account/sessions', email);
    const onPhone = await openAccountPage(app, phone, '/account/sessions', email);
    const stale = await openAccountPage(app, laptop, '/account/sessions', email);
    expect(sessionUidsOn(onPhone)).toHaveLength(2);
    expect(onPhone.body).toMatch(/Signed in <time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z" data-local-time>[^<]+ UTC<\/time>/);

    // The phone signs the laptop out.
    const ended = await phone.submit(onPhone, { button: /^Sign out$/, form: (form) => form.fields.session !== undefined });
    expect(textOf(ended)).toContain('That session was signed out.');

    // The laptop's page still shows its buttons; each POST from it is answered plainly.
    const forms = parseForms(stale).filter((candidate) => candidate.method === 'POST');
    expect(forms.map((form) => new URL(form.action).pathname).sort()).toEqual(['/account/sessions/end', '/account/sessions/end-others']);
    for (const form of forms) {
      const answer = await laptop.request(form.action, { method: 'POST', form: new URLSearchParams(form.fields) });
      expect(answer.status, form.action).toBe(401);
      expect(textOf(answer)).toContain('You have been signed out');
      expect(answer.body).toContain('href="/account/sign-in?return=%2Faccount%2Fsessions"');
    }
    // The phone is still signed in, and only it.
    expect(sessionUidsOn(await openAccountPage(app, phone, '/account/sessions', email))).toHaveLength(1);
  });
});
