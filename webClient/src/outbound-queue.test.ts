import { describe, expect, it } from 'vitest';
import { WebsockError } from './errors.js';
import { OutboundQueue, type Encoder } from './outbound-queue.js';

const v1: Encoder = (packet) => {
  const text = JSON.stringify(packet);
  return { frames: text.length > 20 ? ['bufferON', text.slice(0, 20), text.slice(20), 'bufferOFF'] : [text] };
};
let nextId = 1;
const v2: Encoder = (packet) => {
  const id = nextId++;
  return { frames: [JSON.stringify({ ...packet, id })], id };
};

describe('OutboundQueue, v1 stop and wait', () => {
  it('writes one frame per next, in order, and resolves each message when its last frame is acked', async () => {
    const queue = new OutboundQueue();
    const written: string[] = [];
    const a = queue.push({ opcode: 'a' });
    const b = queue.push({ opcode: 'b', message: 'long enough to be chunked' });
    expect(written).toEqual([]); // Not attached: nothing is written.
    queue.attach((frame) => written.push(frame), v1, false);
    expect(written).toEqual(['{"opcode":"a"}']);
    queue.next();
    await expect(a).resolves.toEqual({});
    expect(written).toHaveLength(2);
    expect(written[1]).toBe('bufferON');
    queue.next();
    queue.next();
    queue.next();
    expect(written.at(-1)).toBe('bufferOFF');
    let settled = false;
    void b.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false); // bufferOFF itself is acknowledged too.
    queue.next();
    await expect(b).resolves.toEqual({});
    expect(queue.size).toBe(0);
  });

  it('fails only the message in flight on disconnect and sends the rest after reattaching', async () => {
    const queue = new OutboundQueue();
    const written: string[] = [];
    queue.attach((frame) => written.push(frame), v1, false);
    const a = queue.push({ opcode: 'a' });
    const b = queue.push({ opcode: 'b' });
    queue.detach();
    await expect(a).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(written).toEqual(['{"opcode":"a"}']);
    queue.attach((frame) => written.push(frame), v1, false);
    expect(written).toEqual(['{"opcode":"a"}', '{"opcode":"b"}']);
    queue.next();
    await expect(b).resolves.toEqual({});
  });

  it('fails everything on clear', async () => {
    const queue = new OutboundQueue();
    const a = queue.push({ opcode: 'a' });
    queue.clear(new WebsockError('CLOSED', 'closed'));
    await expect(a).rejects.toMatchObject({ code: 'CLOSED' });
    expect(queue.size).toBe(0);
  });
});

describe('OutboundQueue, v2 pipelined', () => {
  it('writes everything at once and settles each request by id', async () => {
    const queue = new OutboundQueue();
    const written: string[] = [];
    queue.attach((frame) => written.push(frame), v2, true);
    const a = queue.push({ opcode: 'feedback' });
    const b = queue.push({ opcode: 'feedback' });
    expect(written).toHaveLength(2);
    const [idA, idB] = written.map((frame) => (JSON.parse(frame) as { id: number }).id);
    expect(queue.settle(idB as number, new WebsockError('UNKNOWN_OPCODE', 'unknown opcode', idB))).toBe(true);
    expect(queue.settle(idA as number, { outcome: 'held' })).toBe(true);
    expect(queue.settle(12345, { outcome: 'held' })).toBe(false);
    await expect(a).resolves.toEqual({ outcome: 'held' });
    await expect(b).rejects.toMatchObject({ code: 'UNKNOWN_OPCODE', id: idB });
    expect(queue.size).toBe(0);
  });

  it('times out a request the relay never answers', async () => {
    const queue = new OutboundQueue(10);
    queue.attach(() => {}, v2, true);
    await expect(queue.push({ opcode: 'feedback' })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('fails pending requests on disconnect', async () => {
    const queue = new OutboundQueue();
    queue.attach(() => {}, v2, true);
    const a = queue.push({ opcode: 'feedback' });
    queue.detach();
    await expect(a).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
