import { describe, expect, it } from 'vitest';
import { InFlightBudget } from './in-flight-budget.js';

describe('InFlightBudget', () => {
  it('counts what is read until the message completes, over every connection', () => {
    const budget = new InFlightBudget({ totalBytes: 100, timeoutMs: 1_000 }, 0);
    const a = budget.entry(() => {});
    const b = budget.entry(() => {});
    expect(budget.read(a, 60)).toBe(true);
    expect(budget.read(b, 40)).toBe(true);
    expect(budget.bytes).toBe(100);
    expect(budget.read(b, 1)).toBe(false);
    budget.completed(a);
    expect(budget.bytes).toBe(41);
    budget.release(b);
    expect(budget.bytes).toBe(0);
  });

  it('takes pings and pongs back out, and counts the chunk joiner', () => {
    const budget = new InFlightBudget({ totalBytes: 1_000, timeoutMs: 1_000 }, 0);
    const held = budget.entry(() => {});
    budget.read(held, 6 + 4);
    budget.control(held, 4);
    expect(budget.bytes).toBe(0);
    expect(budget.joining(held, 500)).toBe(true);
    expect(budget.joining(held, 1_001)).toBe(false);
    expect(budget.bytes).toBe(1_001);
    budget.joining(held, 0);
    expect(budget.bytes).toBe(0);
  });

  it('expires a message unfinished past the timeout, and only that one', () => {
    const budget = new InFlightBudget({ totalBytes: 0, timeoutMs: 1_000 }, 0);
    const expired: string[] = [];
    const slow = budget.entry(() => expired.push('slow'));
    const busy = budget.entry(() => expired.push('busy'));
    const idle = budget.entry(() => expired.push('idle'));
    budget.read(slow, 10);
    budget.read(idle, 10);
    budget.completed(idle);
    budget.tick(600);
    budget.read(busy, 10); // begins at 600
    budget.tick(1_200);
    expect(expired).toEqual(['slow']);
    expect(budget.bytes).toBe(10);
    budget.tick(1_700);
    expect(expired).toEqual(['slow', 'busy']);
    expect(budget.bytes).toBe(0);
  });
});
