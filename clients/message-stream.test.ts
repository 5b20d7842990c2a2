import { describe, expect, it, vi } from 'vitest';
import { MessageStream } from './message-stream.js';

const packet = (n: number) => ({ opcode: 'feedback', message: `m${n}` });

describe('MessageStream', () => {
  it('yields buffered and later packets in order, then ends', async () => {
    const stream = new MessageStream(() => {});
    stream.push(packet(1));
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const p of stream) seen.push(p.message);
    })();
    stream.push(packet(2));
    stream.push(packet(3));
    stream.end();
    await reading;
    expect(seen).toEqual(['m1', 'm2', 'm3']);
  });

  it('throws the close error after the buffered packets', async () => {
    const stream = new MessageStream(() => {});
    stream.push(packet(1));
    stream.end(new Error('lost'));
    await expect(stream.next()).resolves.toEqual({ value: packet(1), done: false });
    await expect(stream.next()).rejects.toThrow('lost');
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('rejects a waiting reader when it ends with an error', async () => {
    const stream = new MessageStream(() => {});
    const waiting = stream.next();
    stream.end(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });

  it('unsubscribes once when the reader breaks out', async () => {
    const onReturn = vi.fn();
    const stream = new MessageStream(onReturn);
    stream.push(packet(1));
    stream.push(packet(2));
    for await (const _ of stream) break;
    stream.end();
    expect(onReturn).toHaveBeenCalledTimes(1);
    stream.push(packet(3));
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });
});
