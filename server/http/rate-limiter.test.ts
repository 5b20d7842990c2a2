import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter(1, 0);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(1_000);
    expect(limiter.take('b', 0)).toBe(0);
  });

  it('allows a burst of one second of the rate', () => {
    const limiter = new RateLimiter(5, 0);
    for (let i = 0; i < 5; i++) expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(200);
  });

  it('forgets idle clients on a later sweep', () => {
    const limiter = new RateLimiter(1, 0);
    limiter.take('a', 0);
    limiter.take('b', 0);
    expect(limiter.size).toBe(2);
    limiter.take('c', 60_000);
    expect(limiter.size).toBe(1);
  });
});
