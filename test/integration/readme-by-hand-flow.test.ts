// The Quick start's by-hand flow, read from README.md itself and run as written: the client it
// registers, the authorization URL opened in a browser that signs in on the real pages, and the
// curl code exchange run by bash with the README's code_verifier. Only the host and port and the
// values the README tells the reader to paste (client id and secret, the code) are substituted,
// so a README that drifts (a wrong verifier, a changed path) fails here.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { Browser } from '../helpers/browser.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const run = promisify(execFile);
const README_ISSUER = 'http://localhost:3000';
const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery';

interface ByHandFlow {
  /** The `clients add` command's redirect URI. */
  redirectUri: string;
  /** The authorization URL block, as printed. */
  authorizationUrl: string;
  /** The shell block with the code exchange, as printed. */
  exchange: string;
}

function readByHandFlow(): ByHandFlow {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Quick start');
  const quickStart = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...quickStart.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const redirectUri = /clients add .*--redirect-uri (\S+)/.exec(quickStart)?.[1];
  const authorizationUrl = blocks.find((block) => block.trim().startsWith(`${README_ISSUER}/auth?`))?.trim();
  const exchange = blocks.find((block) => block.includes('grant_type=authorization_code'));
  if (!redirectUri || !authorizationUrl || !exchange) throw new Error('README.md: the Quick start by-hand flow was not found');
  return { redirectUri, authorizationUrl, exchange };
}

/** The `NAME=…` placeholders of a shell block filled in with the values the reader pastes. */
function paste(block: string, values: Record<string, string>): string {
  let filled = block;
  for (const [name, value] of Object.entries(values)) {
    const placeholder = new RegExp(`\\b${name}=…`);
    expect(filled).toMatch(placeholder);
    filled = filled.replace(placeholder, `${name}='${value}'`);
  }
  return filled;
}

describe('README: the by-hand authorization code flow', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  it('works as written: the README verifier matches its challenge and the code exchange gives tokens', async () => {
    const flow = readByHandFlow();
    await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true, name: 'Ada Lovelace' });
    const client = await app.context.clients.register({ name: 'My App', redirectUris: [flow.redirectUri], scope: 'openid email' });

    const url = new URL(flow.authorizationUrl.replace(README_ISSUER, app.issuer).replace('CLIENT_ID', client.clientId));
    const verifier = /code_verifier=(\S+)/.exec(flow.exchange)![1]!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(url.searchParams.get('code_challenge'));

    const browser = new Browser();
    let page = await browser.get(url.href, { followOrigins: [app.issuer] });
    page = await browser.submit(page, { button: 'Sign in', fields: { email: EMAIL, password: PASSWORD }, followOrigins: [app.issuer] });
    if (!page.location) page = await browser.submit(page, { button: 'Allow', followOrigins: [app.issuer] });
    const callback = new URL(page.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(flow.redirectUri);
    const code = callback.searchParams.get('code')!;

    const script = paste(flow.exchange, { CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret!, CODE: code })
      .split(README_ISSUER).join(app.issuer);
    const { stdout } = await run('bash', ['-euc', script], { timeout: 30_000 });
    const tokens = JSON.parse(stdout) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), id_token: expect.any(String) });
  });
});
