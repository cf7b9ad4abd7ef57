import { describe, expect, it } from 'vitest';
import { requestMeta } from '../../src/http/request-meta.js';

function request(ip: string, headers: Record<string, string>) {
  return { ip, get: (field: string) => headers[field.toLowerCase()] ?? '' };
}

describe('requestMeta', () => {
  it('gives the IP and the user agent, cut to 512 characters', () => {
    expect(requestMeta(request('203.0.113.5', { 'user-agent': 'Firefox/140' }))).toEqual({ ip: '203.0.113.5', userAgent: 'Firefox/140' });
    expect(requestMeta(request('::1', { 'user-agent': 'x'.repeat(2000) })).userAgent).toBe('x'.repeat(512));
  });

  it('gives null for a request without a user agent', () => {
    expect(requestMeta(request('198.51.100.1', {}))).toEqual({ ip: '198.51.100.1', userAgent: null });
  });
});
