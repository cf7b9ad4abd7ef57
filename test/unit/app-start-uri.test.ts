// Where "Continue to <app>" leads: the client's initiate_login_uri, else its client_uri, else the
// origin of its first web redirect URI; Gatehouse's own clients lead to their own pages.
import { describe, expect, it } from 'vitest';
import { appStartUri } from '../../src/http/journey.js';
import { ACCOUNT_CLIENT_ID, ADMIN_CLIENT_ID } from '../../src/paths.js';

describe('appStartUri', () => {
  const redirectUris = ['com.example.app:/callback', 'https://app.example.test/auth/callback?x=1'];

  it('prefers initiate_login_uri, then client_uri, then the first web redirect URI\'s origin', () => {
    const all = { initiateLoginUri: 'https://app.example.test/login', clientUri: 'https://www.example.test/', redirectUris };
    expect(appStartUri('app', all)).toBe('https://app.example.test/login');
    expect(appStartUri('app', { ...all, initiateLoginUri: undefined })).toBe('https://www.example.test/');
    expect(appStartUri('app', { redirectUris })).toBe('https://app.example.test');
  });

  it('skips what is not a web page: custom schemes, script and garbage', () => {
    expect(appStartUri('app', { initiateLoginUri: 'javascript:alert(1)', clientUri: 'not a url', redirectUris: ['com.example.app:/cb'] })).toBeUndefined();
  });

  it('sends Gatehouse\'s own clients to their own pages', () => {
    expect(appStartUri(ACCOUNT_CLIENT_ID, { redirectUris })).toBe('/account');
    expect(appStartUri(ADMIN_CLIENT_ID, { redirectUris })).toBe('/admin');
  });
});
