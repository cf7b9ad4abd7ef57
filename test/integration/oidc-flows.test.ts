// The authorization code flow end to end with openid-client as the relying party: ID token,
// userinfo, refresh rotation, and what happens when a code or refresh token is used twice.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumeConflictError } from '../../src/oidc/adapters/errors.js';
import { Browser } from '../helpers/browser.js';
import { storageKinds } from '../helpers/database.js';
import { discoverIssuer, exchangeCode, RP_POST_LOGOUT_REDIRECT_URI, RP_REDIRECT_URI, signIn } from '../helpers/relying-party.js';
import { startTestApp, type TestApp } from '../helpers/start-app.js';

const EMAIL = 'grace@example.test';
const PASSWORD = 'a long and memorable passphrase';

describe.each(storageKinds)('authorization code flow on %s', (kind) => {
  let app: TestApp;
  let config: oidc.Configuration;
  let userId: string;

  beforeAll(async () => {
    app = await startTestApp({ kind });
    const user = await app.context.users.create({ email: EMAIL, password: PASSWORD, emailVerified: true, name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' });
    userId = user.id;
    const client = await app.context.clients.register({ name: 'Compiler', redirectUris: [RP_REDIRECT_URI], postLogoutRedirectUris: [RP_POST_LOGOUT_REDIRECT_URI] });
    config = await discoverIssuer(app.issuer, client.clientId, client.clientSecret!);
  });
  afterAll(async () => { await app?.close(); });

  async function signInForTokens(scope = 'openid profile email offline_access') {
    const result = await signIn(new Browser(), config, { email: EMAIL, password: PASSWORD, scope, extraParams: { prompt: 'consent' } });
    expect(result.callbackUrl.searchParams.get('iss')).toBe(app.issuer);
    return exchangeCode(config, result);
  }

  it('signs in through the real pages and issues a valid ID token with amr and auth_time', async () => {
    const before = Math.floor(Date.now() / 1000) - 1;
    const tokens = await signInForTokens();
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(app.issuer);
    expect(claims.sub).toBe(userId);
    expect(claims.aud).toBe(config.clientMetadata().client_id);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
    expect(claims.auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
  });

  it('puts sid in every ID token, for a client that registered no logout, refreshed ones too', async () => {
    const first = await signInForTokens();
    const sid = first.claims()!.sid;
    expect(sid).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.claims()!.sid).toBe(sid);
    // One sid per session: another browser has its own.
    expect((await signInForTokens()).claims()!.sid).not.toBe(sid);
  });

  it('answers userinfo with the standard claims of the granted scopes', async () => {
    const tokens = await signInForTokens();
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(userinfo).toMatchObject({
      sub: userId, email: EMAIL, email_verified: true, name: 'Grace Hopper', given_name: 'Grace', family_name: 'Hopper',
    });
    expect(userinfo.updated_at).toEqual(expect.any(Number));
  });

  it('gives only the claims of the scopes asked for', async () => {
    const tokens = await signInForTokens('openid email');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(userinfo).toEqual({ sub: userId, email: EMAIL, email_verified: true });
  });

  it('honours the claims request parameter', async () => {
    const result = await signIn(new Browser(), config, {
      email: EMAIL, password: PASSWORD, scope: 'openid',
      extraParams: { claims: JSON.stringify({ id_token: { email: { essential: true } } }) },
    });
    const tokens = await exchangeCode(config, result);
    expect(tokens.claims()!.email).toBe(EMAIL);
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole grant (RFC 9700 §4.14.2)', async () => {
    const first = await signInForTokens();
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(true);

    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(config, first.access_token)).active).toBe(false);
  });

  it('lets exactly one of two concurrent refreshes win, then revokes the grant', async () => {
    const tokens = await signInForTokens();
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => oidc.refreshTokenGrant(config, tokens.refresh_token!)));
    const winners = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<typeof oidc.refreshTokenGrant>>> => o.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const loser of outcomes.filter((o) => o.status === 'rejected')) {
      expect((loser as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
    // Revocation follows the losing request; poll briefly rather than assume its timing.
    const winner = winners[0]!.value;
    let active = true;
    for (let attempt = 0; attempt < 50 && active; attempt += 1) {
      active = (await oidc.tokenIntrospection(config, winner.access_token)).active;
      if (active) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, winner.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes the grant when the storage adapter reports a lost redemption race', async () => {
    // The race itself is timing-dependent over HTTP; here the adapter's verdict is handed to the
    // provider exactly as a losing token request would raise it.
    const tokens = await signInForTokens();
    const { provider } = app.app;
    const refreshToken = await provider.RefreshToken.find(tokens.refresh_token!);
    expect(refreshToken).toBeDefined();
    provider.emit('grant.error', { oidc: { entities: { RefreshToken: refreshToken } } }, createConsumeConflictError('RefreshToken'));
    // The revocation runs after the event, its parts in parallel: wait until the token and the
    // grant are both gone (or the time is up), then check each.
    let active = true;
    let grant = await provider.Grant.find(refreshToken!.grantId!);
    for (let attempt = 0; attempt < 50 && (active || grant); attempt += 1) {
      active = (await oidc.tokenIntrospection(config, tokens.access_token)).active;
      grant = await provider.Grant.find(refreshToken!.grantId!);
      if (active || grant) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(active).toBe(false);
    expect(grant).toBeUndefined();
  });

  it('redeems a code once; a second redemption fails and revokes what the first issued (RFC 6749 §4.1.2)', async () => {
    const result = await signIn(new Browser(), config, { email: EMAIL, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' } });
    const tokens = await exchangeCode(config, result);
    await expect(exchangeCode(config, result)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('ends tokens without offline_access at sign-out, and keeps offline ones (OIDC Core §11)', async () => {
    const browser = new Browser();
    const online = await exchangeCode(config, await signIn(browser, config, { email: EMAIL, password: PASSWORD, scope: 'openid' }));
    const offline = await exchangeCode(config, await signIn(browser, config, {
      email: EMAIL, password: PASSWORD, scope: 'openid offline_access', extraParams: { prompt: 'consent' },
    }));
    expect(online.refresh_token).toEqual(expect.any(String));

    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: offline.id_token!, post_logout_redirect_uri: RP_POST_LOGOUT_REDIRECT_URI });
    const follow = { followOrigins: [new URL(app.issuer).origin] };
    const signedOut = await browser.submit(await browser.get(logout.href, follow), { button: 'Sign out', ...follow });
    expect(signedOut.location).toMatch(new RegExp(`^${RP_POST_LOGOUT_REDIRECT_URI}`));

    expect((await oidc.tokenIntrospection(config, online.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, online.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, offline.access_token)).active).toBe(true);
    expect((await oidc.refreshTokenGrant(config, offline.refresh_token!)).access_token).toEqual(expect.any(String));
  });

  it('refuses a code exchange without the PKCE verifier', async () => {
    const result = await signIn(new Browser(), config, { email: EMAIL, password: PASSWORD });
    const response = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${config.clientMetadata().client_id}:${config.clientMetadata().client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: result.callbackUrl.searchParams.get('code')!, redirect_uri: RP_REDIRECT_URI }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
  });
});
