import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../transport/connection.js';
import { encodeTextFrame } from '../protocol/frame-encoder.js';
import { BroadcastBatcher } from './broadcast-batcher.js';

afterEach(() => {
  vi.useRealTimers();
});

/** What a page's socket would be written: each release is one write of the frames held since the last. */
function fakeConnection(writes: string[][], open = true): Connection {
  let held: string[] | null = null;
  return {
    get holdsFrames() {
      return held !== null;
    },
    hold(frame: readonly Buffer[]) {
      if (!open) return false;
      (held ??= []).push(frame.map((part) => part.subarray(2).toString()).join(''));
      return true;
    },
    release() {
      if (held !== null) writes.push(held);
      held = null;
    },
  } as unknown as Connection;
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BroadcastBatcher', () => {
  it('holds every broadcast, the first after a quiet spell too, and writes each page once when the window ran out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const writes: string[][] = [];
    const page = fakeConnection(writes);
    const batcher = new BroadcastBatcher(2);
    expect(batcher.enabled).toBe(true);
    expect(batcher.hold(page, encodeTextFrame('one'))).toBe(true);
    expect(batcher.hold(page, encodeTextFrame('two'))).toBe(true);
    vi.advanceTimersByTime(1);
    await endOfTurn();
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    await endOfTurn();
    expect(writes).toEqual([['one', 'two']]);
    batcher.stop();
  });

  it('a broadcast read in the turn after the window ran out joins the same write', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const writes: string[][] = [];
    const page = fakeConnection(writes);
    const batcher = new BroadcastBatcher(2);
    batcher.hold(page, encodeTextFrame('one'));
    // The timer fires (timers phase); the socket that brings the next broadcast is read after it.
    vi.advanceTimersByTime(2);
    batcher.hold(page, encodeTextFrame('two'));
    expect(writes).toEqual([]);
    await endOfTurn();
    expect(writes).toEqual([['one', 'two']]);
    batcher.stop();
  });

  it('holds a connection once per flush, skips closed ones, and stop() writes what is held', () => {
    const writes: string[][] = [];
    const a = fakeConnection(writes);
    const closed = fakeConnection(writes, false);
    const batcher = new BroadcastBatcher(1_000);
    batcher.hold(a, encodeTextFrame('x'));
    batcher.hold(a, encodeTextFrame('y'));
    expect(batcher.hold(closed, encodeTextFrame('x'))).toBe(false);
    batcher.stop();
    expect(writes).toEqual([['x', 'y']]);
  });

  it('with a zero window is off', () => {
    expect(new BroadcastBatcher(0).enabled).toBe(false);
  });
});
