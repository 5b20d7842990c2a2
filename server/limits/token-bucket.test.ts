import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('grants a full burst, then refuses with the wait until the next token', () => {
    const bucket = new TokenBucket(2, 2, 1_000);
    expect(bucket.take(1_000)).toBe(0);
    expect(bucket.take(1_000)).toBe(0);
    expect(bucket.take(1_000)).toBe(500);
    expect(bucket.take(1_250)).toBe(250);
    expect(bucket.take(1_500)).toBe(0);
    expect(bucket.take(1_500)).toBe(500);
  });

  it('never holds more than its capacity', () => {
    const bucket = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) expect(bucket.take(0)).toBe(0);
    // An hour idle still refills only three tokens.
    for (let i = 0; i < 3; i++) expect(bucket.take(3_600_000)).toBe(0);
    expect(bucket.take(3_600_000)).toBeGreaterThan(0);
  });

  it('supports rates below one per second', () => {
    const bucket = new TokenBucket(0.5, 1, 0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(2_000);
    expect(bucket.take(1_999)).toBe(1);
    expect(bucket.take(2_000)).toBe(0);
  });

  it('neither mints nor loses tokens when the clock steps back', () => {
    const bucket = new TokenBucket(1, 1, 10_000);
    expect(bucket.take(10_000)).toBe(0);
    expect(bucket.take(5_000)).toBe(1_000);
    expect(bucket.take(11_000)).toBe(0);
  });

  it('says when it is full', () => {
    const bucket = new TokenBucket(1, 2, 0);
    expect(bucket.isFull(0)).toBe(true);
    bucket.take(0);
    expect(bucket.isFull(500)).toBe(false);
    expect(bucket.isFull(1_000)).toBe(true);
  });

  it('rejects nonsense settings when built', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0.5, 0)).toThrow(RangeError);
  });
});
