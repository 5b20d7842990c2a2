import { afterEach, describe, expect, it, vi } from 'vitest';
import { Fifo } from './fifo.js';
import type { OutboundRequest } from './outbound.js';
import { Pipeline } from './pipeline.js';

function setup(chunkBytes: number | null = null, maxInFlight = 1000) {
  const written: string[] = [];
  const queue = new Fifo<OutboundRequest>();
  const onTimeout = vi.fn();
  const strategy = new Pipeline(
    {
      send: (text, done) => {
        written.push(text);
        done?.();
      },
    },
    queue,
    { chunkBytes, ackTimeoutMs: 1000, maxInFlight, onTimeout },
  );
  const results: string[] = [];
  const relayCodes: unknown[] = [];
  const enqueue = (text: string, expectsOutcome = true) => {
    queue.push({
      text,
      expectsOutcome,
      resolve: (r) => results.push(`${text}:${r}`),
      reject: (e) => {
        results.push(`${text}:${e.code}`);
        relayCodes.push(e.relayCode);
      },
    });
    strategy.pump();
  };
  return { written, strategy, results, relayCodes, enqueue, onTimeout };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Pipeline', () => {
  it('writes every request at once, numbered with an id', () => {
    const { written, enqueue } = setup();
    enqueue('{"opcode":"feedback","message":"a"}');
    enqueue('{"opcode":"feedback","message":"b"}');
    expect(written.map((text) => JSON.parse(text))).toEqual([
      { id: 1, opcode: 'feedback', message: 'a' },
      { id: 2, opcode: 'feedback', message: 'b' },
    ]);
  });

  it('settles each request with its own outcome or error, in any order', () => {
    const { strategy, results, relayCodes, enqueue } = setup();
    enqueue('{"n":1}');
    enqueue('{"n":2}');
    enqueue('{"n":3}');
    expect(strategy.handle({ opcode: 'outcome', id: 2, outcome: 'unknown' })).toBe(true);
    expect(strategy.handle({ opcode: 'error', id: '3', code: 'TOO_LARGE', error: 'too big' })).toBe(true);
    expect(strategy.handle({ opcode: 'outcome', id: 1, outcome: 'delivered' })).toBe(true);
    expect(results).toEqual(['{"n":2}:unknown', '{"n":3}:TOO_LARGE', '{"n":1}:delivered']);
    expect(relayCodes).toEqual(['TOO_LARGE']);
    expect(strategy.idle).toBe(true);
  });

  it('resolves an UNKNOWN_RECIPIENT error as the outcome unknown', () => {
    const { strategy, results, enqueue } = setup();
    enqueue('{"n":1}');
    strategy.handle({ opcode: 'error', id: 1, code: 'UNKNOWN_RECIPIENT', error: 'no client has this uuid or ident' });
    expect(results).toEqual(['{"n":1}:unknown']);
  });

  it('turns other relay errors into RELAY_ERROR carrying the relay code', () => {
    const { strategy, results, relayCodes, enqueue } = setup();
    enqueue('{"n":1}');
    strategy.handle({ opcode: 'error', id: 1, code: 'BAD_PACKET', error: 'no uuid' });
    expect(results).toEqual(['{"n":1}:RELAY_ERROR']);
    expect(relayCodes).toEqual(['BAD_PACKET']);
  });

  it('leaves packets without a known id to the client', () => {
    const { strategy, enqueue } = setup();
    enqueue('{"n":1}');
    expect(strategy.handle({ opcode: 'error', code: 'BAD_JSON', error: 'x' })).toBe(false);
    expect(strategy.handle({ opcode: 'outcome', id: 99, outcome: 'delivered' })).toBe(false);
    expect(strategy.handle({ opcode: 'feedback' })).toBe(false);
  });

  it('resolves requests that want no outcome once written', () => {
    const { written, results, enqueue } = setup();
    enqueue('{"opcode":"echo"}', false);
    expect(written).toEqual(['{"opcode":"echo"}']);
    expect(results).toEqual(['{"opcode":"echo"}:sent']);
  });

  it('sends a chunked message as consecutive frames, with no waiting between them', () => {
    const { written, enqueue } = setup(8);
    enqueue('{"opcode":"feedback"}');
    expect(written[0]).toBe('bufferON');
    expect(written.at(-1)).toBe('bufferOFF');
    expect(written.slice(1, -1).join('')).toBe('{"id":1,"opcode":"feedback"}');
  });

  it('keeps at most maxInFlight awaiting outcomes; the rest wait their turn, in order', () => {
    const { written, strategy, enqueue } = setup(null, 2);
    for (let n = 1; n <= 5; n++) enqueue(`{"n":${n}}`);
    expect(written.map((text) => JSON.parse(text).n)).toEqual([1, 2]);
    strategy.handle({ opcode: 'outcome', id: 1, outcome: 'delivered' });
    expect(written.map((text) => JSON.parse(text).n)).toEqual([1, 2, 3]);
    strategy.handle({ opcode: 'outcome', id: 3, outcome: 'held' });
    strategy.handle({ opcode: 'outcome', id: 2, outcome: 'delivered' });
    expect(written.map((text) => JSON.parse(text).n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails everything pending when the connection goes', () => {
    const { strategy, results, enqueue } = setup();
    enqueue('{"n":1}');
    enqueue('{"n":2}');
    strategy.fail(Object.assign(new Error('x'), { code: 'CONNECTION_LOST' }) as never);
    expect(results).toEqual(['{"n":1}:CONNECTION_LOST', '{"n":2}:CONNECTION_LOST']);
  });

  it('times out the oldest unanswered request', () => {
    vi.useFakeTimers();
    const { strategy, results, enqueue, onTimeout } = setup();
    enqueue('{"n":1}');
    vi.advanceTimersByTime(600);
    enqueue('{"n":2}');
    strategy.handle({ opcode: 'outcome', id: 1, outcome: 'delivered' });
    vi.advanceTimersByTime(500);
    expect(results).toEqual(['{"n":1}:delivered']);
    vi.advanceTimersByTime(500);
    expect(results).toEqual(['{"n":1}:delivered', '{"n":2}:TIMEOUT']);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });
});
