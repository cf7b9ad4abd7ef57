// A second OpenID provider in the test process, used as a generic upstream: a bare oidc-provider
// with its development login pages (any password), accounts from a map, on an ephemeral port.
// The server listens first so the downstream Gatehouse can be configured with its issuer; the
// client (with the downstream's callback URLs) is registered by start().
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import Provider from 'oidc-provider';
import { parseForms, type Browser, type Page } from './browser.js';

export interface UpstreamAccount {
  email: string;
  emailVerified: boolean;
  name?: string;
  /** How the upstream says this person signed in (RFC 8176), e.g. ['pwd', 'mfa']; none by default. */
  amr?: string[];
}

export const UPSTREAM_CLIENT_ID = 'gatehouse-downstream';
export const UPSTREAM_CLIENT_SECRET = 'a-test-only-upstream-client-secret-of-some-length';

export interface TestUpstream {
  issuer: string;
  accounts: Map<string, UpstreamAccount>;
  start(redirectUris: string[]): void;
  close(): Promise<void>;
}

export async function listenUpstream(): Promise<TestUpstream> {
  const accounts = new Map<string, UpstreamAccount>();
  let handler: Parameters<typeof createServer>[1] = (_req, res) => { res.statusCode = 503; res.end(); };
  const server: Server = createServer((req, res) => handler!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    accounts,
    start(redirectUris) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: UPSTREAM_CLIENT_ID, client_secret: UPSTREAM_CLIENT_SECRET, redirect_uris: redirectUris, response_types: ['code'], grant_types: ['authorization_code'] }],
        // amr rides on openid: oidc-provider leaves out of the ID token any claim no requested scope names.
        claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
        features: { devInteractions: { enabled: true } },
        // Cookies are not kept apart by port (RFC 6265 §8.5): names of its own, so this provider's
        // session on 127.0.0.1 does not overwrite the downstream's.
        cookies: { names: { session: 'upstream_session', interaction: 'upstream_interaction', resume: 'upstream_resume' } },
        pkce: { required: () => true },
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
        async findAccount(_ctx, sub) {
          const account = accounts.get(sub);
          if (!account) return undefined;
          return { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: account.emailVerified, name: account.name }) };
        },
      });
      // The development login page finishes with the account alone; a real upstream also says how
      // the person signed in, so its login step is answered here with the account's amr.
      provider.use(async function finishLoginWithAmr(ctx, next) {
        if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
        const { prompt } = await provider.interactionDetails(ctx.req, ctx.res);
        if (prompt.name !== 'login') return next();
        const accountId = new URLSearchParams(await text(ctx.req)).get('login') ?? '';
        ctx.respond = false;
        await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId, amr: accounts.get(accountId)?.amr } }, { mergeWithLastSubmission: false });
      });
      handler = provider.callback();
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Signs in on the upstream's development pages as `login` and consents; returns the page after. */
export async function signInUpstream(browser: Browser, page: Page, login: string, followOrigins: string[]): Promise<Page> {
  let current = await browser.submit(page, { form: (form) => 'login' in form.fields || 'password' in form.fields, fields: { login, password: 'any' }, followOrigins });
  for (let steps = 0; steps < 3 && current.status === 200 && parseForms(current).length > 0 && new URL(current.url).origin === new URL(page.url).origin; steps += 1) {
    current = await browser.submit(current, { followOrigins });
  }
  return current;
}
