// The account throttle's wait: nothing before afterFailures, then delaySeconds doubling per further
// failure, never past maxDelaySeconds (and no overflow however many failures pile up).
import { describe, expect, it } from 'vitest';
import { throttleWaitSeconds } from '../../src/services/login-counters.js';

const throttle = { afterFailures: 10, windowSeconds: 86_400, delaySeconds: 1, maxDelaySeconds: 300 };

describe('throttleWaitSeconds', () => {
  it.each([
    [10, 1], [11, 2], [12, 4], [18, 256], [19, 300], [1_000, 300], [Number.MAX_SAFE_INTEGER, 300],
  ])('after %i failures waits %i s', (failures, seconds) => {
    expect(throttleWaitSeconds(throttle, failures)).toBe(seconds);
  });
});
