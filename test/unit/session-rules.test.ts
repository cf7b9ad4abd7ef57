// The pure rules behind sessions: lifetimes, retry backoff, the SSRF guard, event parsing.
import { describe, expect, it } from 'vitest';
import { sessionTtlSeconds } from '../../src/oidc/options.js';
import { isNonPublicAddress } from '../../src/services/backchannel-http.js';
import { retryDelaySeconds } from '../../src/services/logout-deliveries.js';
import { parseSessionEvent } from '../../src/services/session-events.js';

const SESSIONS = { rememberMeSeconds: 30 * 86_400, browserSessionSeconds: 12 * 3600, idleTimeoutSeconds: 7 * 86_400 };

describe('sessionTtlSeconds', () => {
  it('is the idle timeout, capped by the absolute lifetime counted from the sign-in', () => {
    const now = 1_000_000;
    expect(sessionTtlSeconds(SESSIONS, { loginTs: now }, now)).toBe(7 * 86_400);
    expect(sessionTtlSeconds(SESSIONS, { loginTs: now - 28 * 86_400 }, now)).toBe(2 * 86_400);
    expect(sessionTtlSeconds(SESSIONS, { loginTs: now, transient: true }, now)).toBe(12 * 3600);
    expect(sessionTtlSeconds(SESSIONS, { loginTs: now - 13 * 3600, transient: true }, now)).toBe(1);
    expect(sessionTtlSeconds(SESSIONS, {}, now)).toBe(7 * 86_400);
  });
});

describe('retryDelaySeconds', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(attempt, 5, 60))).toEqual([5, 10, 20, 40, 60]);
    expect(retryDelaySeconds(1000, 5, 3600)).toBe(3600);
  });
});

describe('isNonPublicAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, mapped and unique-local addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'fd00::1', 'fe80::1', 'not-an-ip']) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '::ffff:808:808', '2606:4700:4700::1111']) expect(isNonPublicAddress(address), address).toBe(false);
  });
});

describe('parseSessionEvent', () => {
  it('keeps well-formed events and drops anything else', () => {
    const event = { type: 'session.ended', accountId: 'a', sessionUid: 'u', at: '2026-01-01T00:00:00.000Z', reason: 'admin' };
    expect(parseSessionEvent(JSON.stringify(event))).toEqual(event);
    expect(parseSessionEvent(JSON.stringify({ ...event, type: 'session.hijacked' }))).toBeUndefined();
    expect(parseSessionEvent('{')).toBeUndefined();
  });
});
