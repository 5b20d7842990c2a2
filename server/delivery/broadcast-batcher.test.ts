import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../transport/connection.js';
import { BroadcastBatcher } from './broadcast-batcher.js';

afterEach(() => {
  vi.useRealTimers();
});

function fakeConnection(log: string[], name: string): Connection {
  return { cork: () => (log.push(`cork ${name}`), true), uncork: () => log.push(`uncork ${name}`) } as unknown as Connection;
}

describe('BroadcastBatcher', () => {
  it('writes a broadcast after a quiet spell at once, holds the ones that follow closely, then flushes them', () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const batcher = new BroadcastBatcher(2);
    const a = fakeConnection(log, 'a');
    expect(batcher.begin(100)).toBe(false);
    batcher.end(101);
    expect(batcher.begin(102)).toBe(true);
    batcher.cork(a);
    batcher.end(102);
    expect(batcher.begin(102.5)).toBe(true);
    batcher.cork(a);
    expect(log).toEqual(['cork a']);
    vi.advanceTimersByTime(2);
    expect(log).toEqual(['cork a', 'uncork a']);
    batcher.stop();
  });

  it('a broadcast long after the last activity is not held', () => {
    const batcher = new BroadcastBatcher(2);
    expect(batcher.begin(0)).toBe(false);
    batcher.end(1);
    expect(batcher.begin(10)).toBe(false);
    batcher.stop();
  });

  it('with a zero window never holds', () => {
    const batcher = new BroadcastBatcher(0);
    batcher.end(0);
    expect(batcher.begin(0)).toBe(false);
  });
});
