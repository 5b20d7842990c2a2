import { afterEach, describe, expect, it, vi } from 'vitest';
import { InboundThrottle } from './inbound-throttle.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('InboundThrottle', () => {
  it('lets a burst through, pauses past the rate, resumes when a token is back', () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    const throttle = new InboundThrottle(
      { pause: () => calls.push('pause'), resume: () => calls.push('resume') },
      10,
      () => {},
      Date.now(),
    );
    for (let i = 0; i < 10; i++) throttle.onMessage(Date.now());
    expect(calls).toEqual([]);
    throttle.onMessage(Date.now());
    expect(calls).toEqual(['pause']);
    vi.advanceTimersByTime(99);
    expect(calls).toEqual(['pause']);
    vi.advanceTimersByTime(2);
    expect(calls).toEqual(['pause', 'resume']);
    throttle.dispose();
  });
});
