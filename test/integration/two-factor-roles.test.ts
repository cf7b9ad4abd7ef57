// twoFactor.policy.requiredForRoles through real HTTP on every storage variant, with openid-client
// as the relying party: an account holding a listed role and no second factor is led through
// enrolment after its password, after a federated sign-in, and when its session predates the role;
// an account without one signs in with the password alone.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_PASSWORD, ACR_TWO_FACTOR } from '../../src/oidc/two-factor-policy.js';
import { createSettingsFiles, relyingParty, storageVariants } from '../helpers/accounts.js';
import { Browser, isPasswordPage, setupKeyOf, type Page } from '../helpers/browser.js';
import { buildAuthorizationRequest, exchangeCode, RP_REDIRECT_URI, type AuthorizationRequest } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';
import { settleStep, totpCode } from '../helpers/totp.js';
import { listenUpstream, signInUpstream, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, type TestUpstream } from '../helpers/upstream-provider.js';

const PASSWORD = 'a long and memorable passphrase';
const UPSTREAM = { id: 'upstream', displayName: 'Test Upstream' };
const settings = createSettingsFiles('gh-two-factor-roles-');
afterAll(() => settings.remove());

interface Flow {
  request: AuthorizationRequest;
  page: Page;
}


/** The enrolment step of a sign-in (a QR image, no password field); its setup key. */
function expectEnrolmentPage(page: Page): string {
  expect(page.status, page.body).toBe(200);
  expect(page.body).toContain('<h1>Set up two-factor sign-in</h1>');
  expect(page.body).toContain('<img class="qr" src="data:image/svg+xml;base64,');
  expect(page.body).not.toContain('name="password"');
  return setupKeyOf(page);
}

describe.each(storageVariants)('two-factor required for roles on $name', ({ name, options }) => {
  let upstream: TestUpstream;
  let app: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    upstream = await listenUpstream();
    app = await startTestApp({
      ...options,
      env: {
        SETTINGS_FILE: settings.file(name.replace(/\W+/g, '-'), {
          twoFactor: { policy: { requiredForRoles: ['admin'] } },
          federation: { providers: [{ ...UPSTREAM, issuer: upstream.issuer, clientId: UPSTREAM_CLIENT_ID, clientSecretEnv: 'UPSTREAM_CLIENT_SECRET' }] },
        }),
        UPSTREAM_CLIENT_SECRET,
      },
    });
    upstream.start([`${app.issuer}/federation/${UPSTREAM.id}/callback`]);
    rp = await relyingParty(app);
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await upstream?.close();
  });

  const origins = () => [new URL(app.issuer).origin, new URL(upstream.issuer).origin];

  async function newUser(label: string, roles: string[]): Promise<{ id: string; email: string }> {
    const user = await app.context.users.create({ email: `${label}.${randomUUID()}@example.test`, password: PASSWORD, emailVerified: true, roles });
    return { id: user.id, email: user.email };
  }

  async function authorize(browser: Browser, extraParams: Record<string, string> = {}): Promise<Flow> {
    const request = await buildAuthorizationRequest(rp, { scope: 'openid', extraParams });
    return { request, page: await browser.get(request.url.href, { followOrigins: [request.url.origin] }) };
  }

  function submitPassword(browser: Browser, page: Page, email: string): Promise<Page> {
    expect(isPasswordPage(page), page.body).toBe(true);
    return browser.submit(page, { button: 'Sign in', fields: { email, password: PASSWORD } });
  }

  /** Back at the relying party (allowing consent on the way); the ID token's claims. */
  async function claimsAfter(browser: Browser, flow: Pick<Flow, 'request'>, page: Page): Promise<oidc.IDToken> {
    let last = page;
    if (last.status === 200 && last.body.includes('<h1>Allow access?</h1>')) last = await browser.submit(last, { button: 'Allow' });
    expect(last.location?.startsWith(RP_REDIRECT_URI), `not back at the relying party: ${last.url} (${last.status})\n${last.body}`).toBe(true);
    return (await exchangeCode(rp, { request: flow.request, callbackUrl: new URL(last.location!) })).claims()!;
  }

  /** Confirms the enrolment with a code from its setup key and continues; the ID token's claims. */
  async function finishEnrolment(browser: Browser, flow: Pick<Flow, 'request'>, enrol: Page): Promise<oidc.IDToken> {
    const secret = expectEnrolmentPage(enrol);
    await settleStep();
    const ready = await browser.submit(enrol, { button: 'Turn on two-factor sign-in', fields: { code: totpCode(secret, Date.now()) } });
    expect(ready.body).toContain('Save your backup codes');
    return claimsAfter(browser, flow, await browser.submit(ready, { button: /^Continue to / }));
  }

  it('loads the policy with requiredForRoles and mode still optional', () => {
    expect(app.config.settings.twoFactor.policy).toEqual({ mode: 'optional', requiredForRoles: ['admin'], requiredForClients: [] });
  });

  it('leads an admin without a second factor through enrolment after the password', async () => {
    const admin = await newUser('admin', ['admin']);
    const browser = new Browser();
    const flow = await authorize(browser);
    const enrol = await submitPassword(browser, flow.page, admin.email);
    expectEnrolmentPage(enrol);
    expect(await app.context.twoFactor.status(admin.id)).toMatchObject({ enrolled: false });

    const claims = await finishEnrolment(browser, flow, enrol);
    expect(claims).toMatchObject({ sub: admin.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
    expect(await app.context.twoFactor.status(admin.id)).toMatchObject({ enrolled: true });
  });

  it('lets a person without the role sign in with the password alone', async () => {
    const person = await newUser('support', ['support']);
    const browser = new Browser();
    const flow = await authorize(browser);
    const claims = await claimsAfter(browser, flow, await submitPassword(browser, flow.page, person.email));
    expect(claims).toMatchObject({ sub: person.id, amr: ['pwd'], acr: ACR_PASSWORD });
    expect(await app.context.twoFactor.status(person.id)).toMatchObject({ enrolled: false });
  });

  it('sends a session signed in before the role was granted through enrolment, without asking for the password', async () => {
    const person = await newUser('promoted', []);
    const browser = new Browser();
    const first = await authorize(browser);
    expect(await claimsAfter(browser, first, await submitPassword(browser, first.page, person.email))).toMatchObject({ acr: ACR_PASSWORD });
    const sso = await authorize(browser, { prompt: 'none' });
    expect(await claimsAfter(browser, sso, sso.page)).toMatchObject({ sub: person.id, acr: ACR_PASSWORD });

    await app.context.users.changeRoles(person.email, { add: ['admin'], remove: [] });
    const silent = await authorize(browser, { prompt: 'none' });
    expect(new URL(silent.page.location!).searchParams.get('error')).toBe('login_required');
    const flow = await authorize(browser);
    expect(await finishEnrolment(browser, flow, flow.page)).toMatchObject({ sub: person.id, amr: ['pwd', 'otp'], acr: ACR_TWO_FACTOR });
  });

  it('holds a federated sign-in to the same policy once the account is an admin', async () => {
    const login = `fed-${randomUUID()}`;
    const email = `${login}@example.test`;
    upstream.accounts.set(login, { email, emailVerified: true });
    const signInFederated = async (browser: Browser) => {
      const request = await buildAuthorizationRequest(rp, { scope: 'openid' });
      const page = await browser.submit(await browser.get(request.url.href), { button: `Continue with ${UPSTREAM.displayName}`, followOrigins: origins() });
      return { request, page: await signInUpstream(browser, page, login, origins()) };
    };

    // Without the role the upstream alone signs the account in (and creates it).
    const plain = new Browser();
    const before = await signInFederated(plain);
    expect(await claimsAfter(plain, before, before.page)).toMatchObject({ amr: ['fed'], acr: ACR_PASSWORD });

    await app.context.users.changeRoles(email, { add: ['admin'], remove: [] });
    const browser = new Browser();
    const after = await signInFederated(browser);
    expect(await finishEnrolment(browser, after, after.page)).toMatchObject({ amr: ['fed', 'otp'], acr: ACR_TWO_FACTOR });
  });
});
