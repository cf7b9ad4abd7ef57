// Values people can put in an account page's URL or form that the pages must not trust: a notice
// name that is an Object property, an identity id shaped like a UUID but not one, and a return
// path too long for the cookie that carries it through sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { openAccountPage, SESSION_TEST_PASSWORD } from '../helpers/sessions.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

describe('account pages and odd values in the request', () => {
  let app: TestApp;
  const browser = new Browser();
  beforeAll(async () => {
    app = await startTestApp();
    await app.context.users.create({ email: 'odd-input@example.test', password: SESSION_TEST_PASSWORD, emailVerified: true });
    await openAccountPage(app, browser, '/account', 'odd-input@example.test');
  });
  afterAll(async () => { await app?.close(); });

  it('shows only notices of the page\'s own list', async () => {
    for (const page of ['/account', '/account/sessions', '/account/two-factor', '/account/sign-in-methods']) {
      for (const notice of ['constructor', '__proto__', 'toString']) {
        const answer = await browser.get(`${app.issuer}${page}?notice=${notice}`);
        expect(answer.status, `${page} ${notice}`).toBe(200);
        expect(answer.body, `${page} ${notice}`).not.toMatch(/native code|\[object Object\]/);
      }
    }
  });

  it('answers an identity id that is not a UUID like an unknown one, not with a 5xx', async () => {
    const csrf = /name="csrf" value="([^"]+)"/.exec((await browser.get(`${app.issuer}/account`)).body)![1]!;
    for (const identity of ['-'.repeat(36), 'f'.repeat(36)]) {
      const answer = await browser.request(`${app.issuer}/account/sign-in-methods/unlink`, { form: { csrf, identity }, followRedirects: false });
      expect(answer.status, identity).toBe(303);
      expect(answer.location, identity).toContain('notice=not-found');
    }
  });

  it('keeps the sign-in cookie small: an over-long return path goes home instead', async () => {
    const fresh = new Browser();
    const answer = await fresh.request(`${app.issuer}/account/sign-in?return=/account/${'a'.repeat(5000)}`, { followRedirects: false });
    expect(answer.status).toBe(303);
    for (const cookie of answer.headers.getSetCookie()) expect(cookie.length, cookie.split('=')[0]).toBeLessThan(1024);
  });
});
