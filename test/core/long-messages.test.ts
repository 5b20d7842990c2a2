import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const FIVE_MIB = 5 * 1024 * 1024;

function bigFeedback(uuid: string, size: number): string {
  const filler = 'x'.repeat(size);
  return JSON.stringify({ opcode: 'feedback', uuid, message: filler, fromUUID: 'big' });
}

describe('long messages', () => {
  it('joins RFC 6455 fragments of a 5 MiB message', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const text = Buffer.from(bigFeedback(page.uuid, FIVE_MIB));
    const pieces = 7;
    const step = Math.ceil(text.length / pieces);
    for (let i = 0; i < pieces; i++) {
      const part = text.subarray(i * step, (i + 1) * step);
      backend.sendFrame(i === 0 ? 1 : 0, part, i === pieces - 1);
    }
    expect((await backend.readPacket()).opcode).toBe('next');
    const got = await page.next(10_000);
    expect(got.length).toBe(text.length);
    expect(got).toBe(text.toString());
  });

  it('joins bufferON / chunks / bufferOFF into a 5 MiB message, acknowledging every chunk', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const text = bigFeedback(page.uuid, FIVE_MIB);
    const chunkSize = 64 * 1024;
    await backend.talk('bufferON');
    for (let i = 0; i < text.length; i += chunkSize) await backend.talk(text.slice(i, i + chunkSize));
    await backend.talk('bufferOFF');
    const got = await page.next(10_000);
    expect(got).toBe(text);
  });

  it('closes with the invalid-JSON error when a chunked message arrives corrupt', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    // The original PHP client's chunk bug: overlapping chunks make the join invalid JSON.
    const text = JSON.stringify({ opcode: 'feedback', uuid: 'u', message: 'abcdefghijklmnopqrstuvwxyz' });
    await backend.talk('bufferON');
    await backend.talk(text.slice(0, 20));
    await backend.talk(text.slice(10, 40));
    await backend.talk(text.slice(20));
    backend.send('bufferOFF');
    const answer = await backend.readPacket();
    expect(answer.opcode).toBe('close');
    expect(String(answer.error)).toMatch(/not valid JSON/);
    expect([1007, null]).toContain(await backend.closeCode());
  });

  it('caps the number of chunks', async () => {
    const relay = cleanup.add(await startRelay({ maxChunks: 5 }), (r) => r.stop());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    await backend.talk('bufferON');
    for (let i = 0; i < 5; i++) await backend.talk('{"a":1}');
    backend.send('{"a":1}');
    const answer = await backend.readPacket();
    expect(answer).toMatchObject({ opcode: 'close' });
    expect(String(answer.error)).toMatch(/too many chunks/);
    expect([1009, null]).toContain(await backend.closeCode());
  });
});

describe('messages over 1 MiB (scanned, not parsed whole)', () => {
  const big = 'é'.repeat(1024 * 1024); // 2 MiB of UTF-8

  it('routes by ident and by uuid to v1 and v2 pages byte for byte, with seq for v2', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const v1page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const v2page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    const receiver = cleanup.add(
      await PageClient.connect(relay.url('/php'), { headers: { 'Client-Type': 'php', Ident: 'big-receiver' } }),
      (p) => p.close(),
    );
    const sender = cleanup.add(
      await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'], headers: { 'Client-Type': 'php' } }),
      (p) => p.close(),
    );
    const toV1 = JSON.stringify({ opcode: 'feedback', uuid: v1page.uuid, message: big, extra: [1, 2] });
    const toIdent = JSON.stringify({ opcode: 'feedback', ident: 'big-receiver', message: big, id: 'i' });
    const toV2 = JSON.stringify({
      opcode: 'feedback',
      uuid: v2page.uuid,
      message: big,
      progress: { job: 'j', done: 1, total: 2 },
      id: 'v2',
    });
    sender.send(toV1);
    sender.send(toIdent);
    sender.send(toV2);
    expect(await v1page.next(10_000)).toBe(toV1);
    // Byte for byte, less the v2 request id (the sender's and the relay's business).
    expect(await receiver.next(10_000)).toBe(toIdent.replace(',"id":"i"', ''));
    expect(await v2page.next(10_000)).toBe(`{"seq":1,${toV2.slice(1).replace(',"id":"v2"', '')}`);
    expect(await sender.nextPacket()).toEqual({ opcode: 'outcome', id: 'i', outcome: 'delivered' });
    expect(await sender.nextPacket()).toEqual({ opcode: 'outcome', id: 'v2', outcome: 'delivered' });
  });

  it('replaces a seq the publisher put in a large message', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    const sender = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    sender.send(JSON.stringify({ opcode: 'feedback', uuid: page.uuid, seq: 99, message: big }));
    const got = JSON.parse(await page.next(10_000)) as { seq: number; message: string };
    expect(got.seq).toBe(1);
    expect(got.message).toBe(big);
  });

  it('closes with 1007 when a large message is not valid JSON', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    backend.send(`{"opcode":"feedback","message":"${big}"`);
    expect(await backend.readPacket()).toEqual({ opcode: 'close', error: 'the message is not valid JSON' });
    expect([1007, null]).toContain(await backend.closeCode());
  });
});
