// Redirect and post-logout redirect URIs through parseClientInput, the one check every way of
// registering a client goes through (the CLI today, any API later).
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseClientInput, type ClientInput } from '../../src/services/clients.js';

const web = (redirectUris: string[], extra: Partial<ClientInput> = {}): ClientInput => ({ name: 'web', redirectUris, ...extra });

function refusal(input: ClientInput): string {
  try {
    parseClientInput(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('redirect URI rules', () => {
  it.each([
    ['a newline joining two URIs', 'https://a.example/cb\nhttps://evil.example/cb', /control character/],
    ['a tab', 'https://a.example/c\tb', /control character/],
    ['a space', 'https://a.example/c b', /control character, a space/],
    ['a non-ASCII character', 'https://exämple.com/cb', /non-ASCII/],
    ['2,000 characters', `https://a.example/${'x'.repeat(1982)}`, /longer than 1024 characters/],
    ['an address that is not a host name', 'https://[::1:bad]/cb', /DNS name; IP addresses are allowed only for loopback/],
    ['a public IPv4 address', 'https://203.0.113.7/cb', /DNS name/],
    ['a wildcard host', 'https://*.example.com/cb', /wildcard/],
    ['a wildcard path', 'https://a.example/*', /wildcard/],
    ['an underscore in the host', 'https://a_b.example/cb', /not a DNS name/],
    ['a trailing dot', 'https://a.example./cb', /not a DNS name/],
    ['a fragment', 'https://a.example/cb#x', /fragment/],
    ['a backslash', 'https://a.example\\cb', /as the URL standard writes it: "https:\/\/a.example\/cb"/],
    ['an upper-case host', 'https://A.example/cb', /as the URL standard writes it: "https:\/\/a.example\/cb"/],
    ['a percent-encoded host', 'https://exa%41mple.com/cb', /as the URL standard writes it/],
    ['a short IPv4 form', 'http://127.1/cb', /as the URL standard writes it: "http:\/\/127.0.0.1\/cb"/],
    ['the default port', 'https://a.example:443/cb', /as the URL standard writes it: "https:\/\/a.example\/cb"/],
    ['plain http to another host', 'http://a.example/cb', /loopback/],
  ])('refuses %s', (_label, uri, reason) => {
    const message = refusal(web([uri]));
    expect(message).toMatch(/^redirect_uris: "/);
    expect(message).toMatch(reason);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(300);
    expect(refusal(web(['https://a.example/cb'], { postLogoutRedirectUris: [uri] }))).toMatch(/^post_logout_redirect_uris: /);
  });

  it('refuses more than 20 URIs of either kind', () => {
    const many = Array.from({ length: 21 }, (_, i) => `https://a.example/cb${i}`);
    expect(refusal(web(many))).toBe('redirect_uris: at most 20 URIs');
    expect(refusal(web(['https://a.example/cb'], { postLogoutRedirectUris: many }))).toBe('post_logout_redirect_uris: at most 20 URIs');
    expect(parseClientInput(web(many.slice(0, 20))).metadata.redirect_uris).toHaveLength(20);
  });

  it('never quotes a password put inside a URI', () => {
    expect(refusal(web(['https://user:hunter22@a.example/cb']))).not.toContain('hunter22');
    expect(refusal(web(['https://user:hunter22@A.example/cb']))).not.toContain('hunter22');
  });

  it.each([
    'https://app.example.com/cb',
    'https://app.example.com/cb?tenant=7',
    'https://xn--exmple-cua.com/cb',
    'https://localhost/cb',
    'http://localhost:4000/cb',
    'http://127.0.0.1:7000/cb',
    'http://[::1]:7000/cb',
  ])('accepts %s', (uri) => {
    expect(parseClientInput(web([uri])).metadata.redirect_uris).toEqual([uri]);
  });

  it('accepts a URI of 1024 characters', () => {
    const uri = `https://a.example/${'x'.repeat(1024 - 'https://a.example/'.length)}`;
    expect(parseClientInput(web([uri])).metadata.redirect_uris).toEqual([uri]);
  });

  it('accepts a private-use scheme for a public client only', () => {
    expect(parseClientInput(web(['com.example.app:/callback'], { public: true })).metadata.application_type).toBe('native');
    expect(refusal(web(['com.example.app:/callback']))).toMatch(/only for a public client/);
  });
});
