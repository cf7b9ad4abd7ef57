// The small things people met on the hosted pages, in real Chromium: after a refused form the focus
// is on the list of problems; a wrong password warns before sign-in is paused; the focus ring can
// be seen on white; "Delete account" looks like the dangerous action it is; two-factor set-up on a
// phone has a link that opens the authenticator app and a setup key that never breaks inside a
// group; backup codes can be downloaded and copied. axe-core runs on each page.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { expectNoAxeViolations, launchChromium } from '../helpers/chromium.js';
import { settleStep, totpCode } from '../helpers/totp.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

vi.setConfig({ testTimeout: 90_000 });

const PASSWORD = 'a long and memorable passphrase';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
let app: TestApp;
let chromium: Browser;

beforeAll(async () => {
  [app, chromium] = await Promise.all([startTestApp(), launchChromium()]);
});
afterAll(async () => {
  await chromium?.close();
  await app?.close();
});

async function signInTo(page: Page, path: string, email: string): Promise<void> {
  await page.goto(`${app.issuer}${path}`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === path);
}

/** WCAG's contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = css.match(/\d+/g)!.slice(0, 3).map((part) => {
      const value = Number(part) / 255;
      return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

describe('sign-in page', () => {
  let context: BrowserContext;
  beforeAll(async () => {
    context = await chromium.newContext();
  });
  afterAll(() => context.close());

  test('after a refused sign-in the focus is on the problems, and the last tries are announced', async () => {
    const email = 'focus@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const page = await context.newPage();
    await page.goto(`${app.issuer}/account`);
    const messages: string[] = [];
    // The default lockout pauses a source after 5 wrong passwords: the warning comes before the pause.
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password').fill(`wrong password ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState('load');
      expect(await page.evaluate('document.activeElement.className')).toBe('error-summary');
      messages.push(await page.locator('.error-summary').innerText());
      if (attempt === 1) await expectNoAxeViolations(page);
    }
    expect(messages[0]).toContain('Incorrect email or password.');
    expect(messages[0]).not.toContain('more wrong tr');
    expect(messages[2]).toContain('2 more wrong tries and sign-in for this account from here is paused');
    expect(messages[3]).toContain('One more wrong try and sign-in for this account from here is paused');
    expect(messages[4]).toContain('Sign-in for this account from here is now paused');
    await page.close();
  });

  test('an address without an account hears the same warnings', async () => {
    const page = await context.newPage();
    await page.goto(`${app.issuer}/account`);
    const messages: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await page.getByLabel('Email address').fill('nobody-here@example.test');
      await page.getByLabel('Password').fill(`wrong password ${attempt}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState('load');
      messages.push(await page.locator('.error-summary').innerText());
    }
    expect(messages[2]).toContain('2 more wrong tries');
    expect(messages[3]).toContain('One more wrong try');
    await page.close();
  });

  test('the focus ring has at least 3:1 contrast on the card', async () => {
    const page = await context.newPage();
    await page.goto(`${app.issuer}/account`);
    await page.keyboard.press('Tab');
    await page.getByLabel('Email address').focus();
    await page.keyboard.press('Tab');
    const ring = await page.evaluate<{ color: string; style: string; width: string; card: string }>(`(() => {
      const style = getComputedStyle(document.activeElement);
      return { color: style.outlineColor, style: style.outlineStyle, width: style.outlineWidth, card: getComputedStyle(document.querySelector('main')).backgroundColor };
    })()`);
    expect(ring.style).toBe('solid');
    expect(parseFloat(ring.width)).toBeGreaterThanOrEqual(2);
    expect(contrast(ring.color, ring.card)).toBeGreaterThanOrEqual(3);
    await page.close();
  });
});

describe('account pages', () => {
  test('"Delete account" is styled as a dangerous action, not the primary one', async () => {
    const email = 'delete-style@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const context = await chromium.newContext();
    const page = await context.newPage();
    await signInTo(page, '/account/close', email);
    const button = page.getByRole('button', { name: 'Delete account' });
    expect(await button.getAttribute('class')).toContain('button-danger');
    expect(await button.getAttribute('class')).not.toContain('button-primary');
    expect(await page.evaluate(`getComputedStyle(document.querySelector('form button.button-danger')).backgroundColor`)).toBe('rgb(185, 28, 28)');
    await expectNoAxeViolations(page);
    await context.close();
  });

  test('two-factor set-up on a phone: an otpauth link, a key that breaks only between groups, backup codes to download and copy', async () => {
    const email = 'phone-enrol@example.test';
    await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const context = await chromium.newContext({ ...PHONE, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.issuer });
    const page = await context.newPage();
    await signInTo(page, '/account/two-factor', email);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.waitForURL((url) => url.pathname === '/account/two-factor/enrol');
    await expectNoAxeViolations(page);

    const key = (await page.locator('#setup-key').innerText()).replace(/\s/g, '');
    const link = new URL((await page.getByRole('link', { name: 'Add this account to your authenticator app' }).getAttribute('href'))!);
    expect(link.protocol).toBe('otpauth:');
    expect(link.host).toBe('totp');
    expect(link.searchParams.get('secret')).toBe(key);

    // Each group of four sits on one line, however narrow the phone: no group is taller than one line.
    const groups = await page.evaluate<{ text: string; rects: number }[]>(`Array.from(document.querySelectorAll('#setup-key .secret-group'),
      (span) => ({ text: span.textContent, rects: span.getClientRects().length }))`);
    expect(groups.length).toBe(8);
    for (const group of groups) {
      expect(group.text).toMatch(/^[A-Z2-7]{4}$/);
      expect(group.rects).toBe(1);
    }

    await settleStep();
    await page.getByLabel('Code from the app').fill(totpCode(key, Date.now()));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.waitForLoadState('load');
    const codes = await page.locator('#backup-codes li').allInnerTexts();
    expect(codes.length).toBe(10);
    await expectNoAxeViolations(page);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as a text file' }).click()]);
    expect(download.suggestedFilename()).toBe('backup-codes.txt');
    expect((await readFile((await download.path())!, 'utf8')).trim().split(/\r\n/)).toEqual(codes.map((code) => code.trim()));

    await page.getByRole('button', { name: 'Copy the codes' }).click();
    await expect.poll(() => page.locator('#copy-status').innerText()).toBe('Copied to the clipboard.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(codes.map((code) => code.trim()).join('\n'));
    await context.close();
  });

  test('without JavaScript the copy button stays hidden and the download still works', async () => {
    const email = 'nojs-enrol@example.test';
    const user = await app.context.users.create({ email, password: PASSWORD, emailVerified: true });
    const { secretText } = await app.context.twoFactor.beginEnrolment(user.id, email);
    await settleStep();
    expect((await app.context.twoFactor.confirmEnrolment(user.id, totpCode(secretText.replace(/ /g, ''), Date.now()))).ok).toBe(true);
    const context = await chromium.newContext({ javaScriptEnabled: false, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${app.issuer}/account/two-factor`);
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secretText.replace(/ /g, ''), Date.now() + 30_000));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/account/two-factor');
    await page.locator('#regenerate-currentPassword').fill(PASSWORD);
    await page.getByRole('button', { name: 'Get new backup codes' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('#backup-codes li').count()).toBe(10);
    expect(await page.getByRole('button', { name: 'Copy the codes' }).isVisible()).toBe(false);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as a text file' }).click()]);
    expect((await readFile((await download.path())!, 'utf8')).trim().split(/\r\n/).length).toBe(10);
    await context.close();
  });
});
