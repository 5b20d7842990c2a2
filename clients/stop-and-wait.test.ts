import { afterEach, describe, expect, it, vi } from 'vitest';
import { isClientError } from './client-error.js';
import { Fifo } from './fifo.js';
import type { OutboundRequest, SendResult } from './outbound.js';
import { StopAndWait } from './stop-and-wait.js';

const NEXT = { opcode: 'next', fyi: '' };

function setup(chunkBytes: number | null = null, maxInFlight = 1000) {
  const written: string[] = [];
  const queue = new Fifo<OutboundRequest>();
  const onTimeout = vi.fn();
  const strategy = new StopAndWait({ send: (text) => written.push(text) }, queue, {
    chunkBytes,
    ackTimeoutMs: 1000,
    maxInFlight,
    onTimeout,
  });
  const results: Array<SendResult | string> = [];
  const enqueue = (text: string) => {
    queue.push({
      text,
      expectsOutcome: true,
      resolve: (r) => results.push(`${text}:${r}`),
      reject: (e) => results.push(`${text}:${e.code}`),
    });
    strategy.pump();
  };
  return { written, queue, strategy, results, enqueue, onTimeout };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('StopAndWait', () => {
  it('keeps exactly one message in flight and sends the next only after next', () => {
    const { written, strategy, results, enqueue } = setup();
    enqueue('a');
    enqueue('b');
    enqueue('c');
    expect(written).toEqual(['a']);
    expect(strategy.handle(NEXT)).toBe(true);
    expect(written).toEqual(['a', 'b']);
    expect(results).toEqual(['a:sent']);
    strategy.handle(NEXT);
    strategy.handle(NEXT);
    expect(written).toEqual(['a', 'b', 'c']);
    expect(results).toEqual(['a:sent', 'b:sent', 'c:sent']);
    expect(strategy.idle).toBe(true);
  });

  it('waits for next after bufferON, every chunk and bufferOFF', () => {
    const { written, strategy, results, enqueue } = setup(4);
    enqueue('abcdefgh');
    expect(written).toEqual(['bufferON']);
    strategy.handle(NEXT);
    strategy.handle(NEXT);
    expect(written).toEqual(['bufferON', 'abcd', 'efgh']);
    expect(results).toEqual([]);
    strategy.handle(NEXT);
    strategy.handle(NEXT);
    expect(written.at(-1)).toBe('bufferOFF');
    expect(results).toEqual(['abcdefgh:sent']);
  });

  it('leaves other packets to the client and ignores a stray next', () => {
    const { strategy } = setup();
    expect(strategy.handle({ opcode: 'feedback', message: 'x' })).toBe(false);
    expect(strategy.handle(NEXT)).toBe(true);
  });

  it('rejects only the message in flight when the connection fails; the queue stays for a reconnect', () => {
    const { queue, strategy, results, enqueue } = setup();
    enqueue('a');
    enqueue('b');
    strategy.fail(Object.assign(new Error('x'), { code: 'CONNECTION_LOST' }) as never);
    expect(results).toEqual(['a:CONNECTION_LOST']);
    expect(queue.size).toBe(1);
  });

  it('gives up with TIMEOUT when no next comes', () => {
    vi.useFakeTimers();
    const { results, enqueue, onTimeout } = setup();
    enqueue('a');
    vi.advanceTimersByTime(999);
    expect(results).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(results).toEqual(['a:TIMEOUT']);
    expect(isClientError(onTimeout.mock.calls[0]![0], 'TIMEOUT')).toBe(true);
  });
});
