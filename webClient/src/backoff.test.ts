import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff } from './backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, defaultBackoff, top))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(30, defaultBackoff, top)).toBe(30_000);
  });

  it('randomises only the jitter share of the delay', () => {
    const options = { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(1, options, () => 0)).toBe(1000);
    expect(backoffDelay(1, options, () => 1)).toBe(2000);
    expect(backoffDelay(1, { ...options, jitter: 0 }, () => 0.3)).toBe(2000);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, defaultBackoff, () => 1)).toBe(500);
  });
});
