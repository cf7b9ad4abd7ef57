// The metadata a dynamically registered client gets: Gatehouse's client rules applied to RFC 7591
// input, refusals carrying the RFC 7591 §3.2.2 code, and the bounds checked before any field.
import { describe, expect, it } from 'vitest';
import { REGISTRATION_LIMITS, RegistrationMetadataError, registrationMetadata } from '../../src/services/client-registration-policy.js';

const OFFERED = ['openid', 'offline_access', 'profile', 'email', 'admin', 'invoices:read'];
const CALLBACK = 'https://app.example.com/callback';

function refusal(body: unknown): { code: string; message: string } {
  try {
    registrationMetadata(body, OFFERED);
  } catch (error) {
    if (error instanceof RegistrationMetadataError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the metadata was accepted');
}

describe('registration metadata', () => {
  it('registers a confidential web client with the defaults of clients add', () => {
    expect(registrationMetadata({ client_name: 'Notes', redirect_uris: [CALLBACK] }, OFFERED)).toEqual({
      client_name: 'Notes', application_type: 'web', token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [CALLBACK],
      scope: 'openid offline_access profile email',
    });
  });

  it('keeps client_secret_post, display URIs, contacts, and the client_id and secret an update repeats', () => {
    const metadata = registrationMetadata({
      redirect_uris: [CALLBACK], token_endpoint_auth_method: 'client_secret_post', scope: 'openid invoices:read',
      logo_uri: 'https://app.example.com/logo.png', contacts: ['ops@example.com'], client_id: 'abc', client_secret: 's3cret',
      jwks_uri: 'https://app.example.com/jwks', refresh_token_ttl: 1,
    }, OFFERED);
    expect(metadata).toMatchObject({
      client_name: 'Unnamed application', token_endpoint_auth_method: 'client_secret_post', scope: 'openid invoices:read',
      logo_uri: 'https://app.example.com/logo.png', contacts: ['ops@example.com'], client_id: 'abc', client_secret: 's3cret',
    });
    expect(metadata).not.toHaveProperty('jwks_uri');
    expect(metadata).not.toHaveProperty('refresh_token_ttl');
  });

  it('gives a public client with a private-use redirect URI the native type', () => {
    expect(registrationMetadata({ token_endpoint_auth_method: 'none', redirect_uris: ['com.example.app:/cb'] }, OFFERED))
      .toMatchObject({ application_type: 'native', token_endpoint_auth_method: 'none' });
  });

  it.each([
    [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: [] }, 'invalid_redirect_uri'],
    [{ redirect_uris: [CALLBACK], post_logout_redirect_uris: ['data:text/html,x'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: ['com.example.app:/cb'] }, 'invalid_redirect_uri'],
    [{ redirect_uris: [CALLBACK], scope: 'openid admin' }, 'invalid_client_metadata'],
    [{ redirect_uris: [CALLBACK], scope: 'openid payroll' }, 'invalid_client_metadata'],
    [{ redirect_uris: [CALLBACK], tos_uri: 'http://app.example.com/tos' }, 'invalid_client_metadata'],
    [{ redirect_uris: [CALLBACK], contacts: ['not an address'] }, 'invalid_client_metadata'],
    [{ redirect_uris: [CALLBACK], client_name: 42 }, 'invalid_client_metadata'],
    [{ redirect_uris: [CALLBACK], grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
  ])('refuses %j with %s', (body, code) => {
    expect(refusal(body).code).toBe(code);
  });

  it('refuses what exceeds a bound, at the bound and not before', () => {
    const uris = (count: number) => Array.from({ length: count }, (_, index) => `${CALLBACK}/${index}`);
    expect(() => registrationMetadata({ redirect_uris: uris(REGISTRATION_LIMITS.arrayItems) }, OFFERED)).not.toThrow();
    expect(refusal({ redirect_uris: uris(REGISTRATION_LIMITS.arrayItems + 1) })).toEqual({ code: 'invalid_client_metadata', message: `redirect_uris: more than ${REGISTRATION_LIMITS.arrayItems} items` });
    expect(refusal({ redirect_uris: [CALLBACK], a: [[[1]]] }).message).toBe('a.0.0: nested too deeply');
    expect(() => registrationMetadata({ redirect_uris: [CALLBACK], a: [[1]] }, OFFERED)).not.toThrow();
    expect(refusal({ redirect_uris: [CALLBACK], client_name: 'x'.repeat(REGISTRATION_LIMITS.stringLength + 1) }).message).toMatch(/^client_name: longer than/);
    const manyKeys = Object.fromEntries(Array.from({ length: REGISTRATION_LIMITS.objectKeys + 1 }, (_, index) => [`k${index}`, 1]));
    expect(refusal({ redirect_uris: [CALLBACK], ...manyKeys }).message).toMatch(/more than 64 fields/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key at any depth', (key) => {
    expect(refusal(JSON.parse(`{"redirect_uris":["${CALLBACK}"],"${key}":{}}`)).code).toBe('invalid_client_metadata');
    expect(refusal(JSON.parse(`{"redirect_uris":["${CALLBACK}"],"x":{"${key}":1}}`)).code).toBe('invalid_client_metadata');
  });
});
