// A person's personal access tokens through the account page, as a browser makes them.
import { expect } from 'vitest';
import { parseForms, type Browser, type Page } from './browser.js';
import type { TestApp } from './start-app.js';

const PASSWORD = 'a long and memorable passphrase';

/** A token's value as the page shows it, once. */
export const PERSONAL_TOKEN_VALUE = /gatehouse_pat_[A-Za-z0-9_-]{43}/;

export async function openTokensPage(app: TestApp, browser: Browser, email: string): Promise<Page> {
  let page = await browser.get(`${app.issuer}/account/tokens`);
  if (/\/interaction\//.test(page.url)) page = await browser.submit(page, { button: 'Sign in', fields: { email, password: PASSWORD } });
  expect(new URL(page.url).pathname).toBe('/account/tokens');
  return page;
}

/** Posts the make-a-token form as a browser would, every checked scope included. */
export async function makeToken(app: TestApp, browser: Browser, page: Page, fields: { name: string; scopes: string[]; days: string }): Promise<Page> {
  const form = parseForms(page).find((candidate) => candidate.action.endsWith('/account/tokens'))!;
  const body = new URLSearchParams({ csrf: form.fields.csrf!, name: fields.name, days: fields.days });
  for (const scope of fields.scopes) body.append('scope', scope);
  return browser.request(`${app.issuer}/account/tokens`, { method: 'POST', form: body });
}

