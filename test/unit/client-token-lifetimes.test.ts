// A client's own token lifetimes, as the provider's ttl functions apply them.
import { describe, expect, it } from 'vitest';
import { clientTtlSeconds } from '../../src/oidc/options.js';

describe('clientTtlSeconds', () => {
  it('takes the client\'s own lifetime over the default', () => {
    expect(clientTtlSeconds({ access_token_ttl: 120 }, 'access_token_ttl', 3600)).toBe(120);
    expect(clientTtlSeconds({ id_token_ttl: 300 }, 'id_token_ttl', 3600)).toBe(300);
    expect(clientTtlSeconds({}, 'access_token_ttl', 3600)).toBe(3600);
    expect(clientTtlSeconds(undefined, 'access_token_ttl', 3600)).toBe(3600);
  });

  it('lets an API\'s own lifetime cap the client\'s, and stand in for the default', () => {
    expect(clientTtlSeconds({ access_token_ttl: 1800 }, 'access_token_ttl', 3600, { apiSeconds: 600 })).toBe(600);
    expect(clientTtlSeconds({ access_token_ttl: 300 }, 'access_token_ttl', 3600, { apiSeconds: 600 })).toBe(300);
    expect(clientTtlSeconds({}, 'access_token_ttl', 3600, { apiSeconds: 600 })).toBe(600);
  });

  it('never goes past the configured ceiling, even for a value stored before it was lowered', () => {
    expect(clientTtlSeconds({ refresh_token_ttl: 10 * 86_400 }, 'refresh_token_ttl', 86_400, { maxSeconds: 86_400 })).toBe(86_400);
    expect(clientTtlSeconds({ refresh_token_ttl: 3600 }, 'refresh_token_ttl', 86_400, { maxSeconds: 86_400 })).toBe(3600);
  });
});
