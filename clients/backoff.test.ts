import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff, validateBackoff } from './backoff.js';

describe('backoffDelay', () => {
  const fixed = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0 };

  it('grows exponentially from initialMs', () => {
    expect([0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, fixed))).toEqual([100, 200, 400, 800, 1600]);
  });

  it('never exceeds maxMs, even after very many attempts', () => {
    expect(backoffDelay(6, fixed)).toBe(5_000);
    expect(backoffDelay(10_000, fixed)).toBe(5_000);
  });

  it('draws the jittered delay from [base * (1 - jitter), base]', () => {
    const options = { ...fixed, jitter: 0.5 };
    expect(backoffDelay(2, options, () => 0)).toBe(400);
    expect(backoffDelay(2, options, () => 0.999999)).toBe(200);
    expect(backoffDelay(2, options, () => 0.5)).toBe(300);
  });

  it('spreads clients out: jittered delays differ for different random draws', () => {
    const delays = new Set([0.1, 0.3, 0.6, 0.9].map((r) => backoffDelay(3, defaultBackoff, () => r)));
    expect(delays.size).toBe(4);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(1000);
      expect(delay).toBeLessThanOrEqual(2000);
    }
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, fixed)).toBe(100);
  });
});

describe('validateBackoff', () => {
  it('accepts the defaults', () => {
    expect(validateBackoff({ ...defaultBackoff })).toEqual(defaultBackoff);
  });

  it.each([
    [{ initialMs: -1 }, /initialMs/],
    [{ maxMs: 10 }, /maxMs/],
    [{ factor: 0.5 }, /factor/],
    [{ jitter: 1.5 }, /jitter/],
    [{ initialMs: Number.NaN }, /initialMs/],
  ])('rejects %o', (patch, message) => {
    expect(() => validateBackoff({ ...defaultBackoff, ...patch })).toThrow(message);
  });
});
