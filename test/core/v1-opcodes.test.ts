import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function setup() {
  const relay = cleanup.add(await startRelay(), (r) => r.stop());
  const page = (path = '/web') => PageClient.connect(relay.url(path)).then((p) => cleanup.add(p, (c) => c.close()));
  const backend = (ident?: string) =>
    PhpStyleClient.connect({ port: relay.port, path: '/php', ...(ident ? { ident } : {}) }).then((c) => cleanup.add(c, (x) => x.destroy()));
  return { relay, page, backend };
}

describe('v1 opcodes', () => {
  it('sends ready with a signed uuid, distinct per connection', async () => {
    const { page } = await setup();
    const a = await page();
    const b = await page();
    expect(a.uuid).not.toBe(b.uuid);
    expect(a.uuid.split('.')).toHaveLength(2);
  });

  it('routes feedback script to script by Ident, and ident wins over uuid', async () => {
    const { backend, page } = await setup();
    const receiver = await backend('receiver');
    const other = await page();
    const sender = await backend();
    await sender.talk({ opcode: 'feedback', ident: 'receiver', uuid: other.uuid, message: 'hello receiver', fromUUID: sender.uuid });
    const got = await receiver.readPacket();
    expect(got).toMatchObject({ opcode: 'feedback', ident: 'receiver', message: 'hello receiver', fromUUID: sender.uuid });
    expect(other.received).toEqual([]);
  });

  it('forwards the packet whole, extra fields included, as received', async () => {
    const { backend, page } = await setup();
    const target = await page();
    const sender = await backend();
    const raw = `{"opcode":"feedback","uuid":"${target.uuid}","message":{"nested":[1,2,3]},"from":"js","x":  1}`;
    sender.send(raw);
    expect((await sender.readPacket()).opcode).toBe('next');
    expect(await target.next()).toBe(raw);
  });

  it('accepts a bare uuid as the address too', async () => {
    const { backend, page } = await setup();
    const target = await page();
    const sender = await backend();
    await sender.talk({ opcode: 'feedback', uuid: target.uuid.split('.')[0], message: 'bare' });
    expect((await target.nextPacket()).message).toBe('bare');
  });

  it('drops feedback for an unknown recipient and still answers next', async () => {
    const { backend } = await setup();
    const sender = await backend();
    await sender.talk({ opcode: 'feedback', uuid: 'nobody', message: 'lost' });
    await sender.talk({ opcode: 'feedback', ident: 'nobody', message: 'lost' });
  });

  it('echoes after next, to browsers and backends', async () => {
    const { backend, page } = await setup();
    const p = await page();
    p.send({ opcode: 'echo', message: 'ping?' });
    expect((await p.nextPacket()).opcode).toBe('next');
    expect(await p.nextPacket()).toEqual({ opcode: 'echo', message: 'ping?' });
    const b = await backend();
    await b.talk({ opcode: 'echo', message: 'from php' });
    expect(await b.readPacket()).toEqual({ opcode: 'echo', message: 'from php' });
  });

  it('broadcasts to every browser but the sender, never to backends', async () => {
    const { backend, page } = await setup();
    const sender = await page();
    const others = [await page(), await page('/')];
    const php = await backend('listener');
    sender.send({ opcode: 'broadcast', message: 'to all' });
    expect((await sender.nextPacket()).opcode).toBe('next');
    for (const other of others) expect(await other.nextPacket()).toEqual({ opcode: 'broadcast', message: 'to all' });
    // The backend must see nothing: its next frame is the answer to its own echo.
    await php.talk({ opcode: 'echo', message: 'mine' });
    expect((await php.readPacket()).message).toBe('mine');
    sender.send({ opcode: 'echo', message: 'after' });
    expect((await sender.nextPacket()).opcode).toBe('next');
    expect((await sender.nextPacket()).message).toBe('after');
  });

  it('quit closes the connection', async () => {
    const { page, backend } = await setup();
    const p = await page();
    p.send({ opcode: 'quit' });
    expect(await p.closed()).toBe(1000);
    const b = await backend();
    b.send(JSON.stringify({ opcode: 'quit' }));
    expect((await b.readPacket()).opcode).toBe('next');
    expect([1000, null]).toContain(await b.closeCode());
    b.close();
    await b.closed();
  });

  it('uuid on / adopts only a uuid this relay signed', async () => {
    const { page, backend, relay } = await setup();
    const first = await page('/');
    const signed = first.uuid;
    first.close();
    await expect.poll(() => relay.hub.size).toBe(0);
    const second = await page('/');
    second.send({ opcode: 'uuid', message: signed });
    expect((await second.nextPacket()).opcode).toBe('next');
    const sender = await backend();
    await sender.talk({ opcode: 'feedback', uuid: signed, message: 'to the adopted uuid' });
    expect((await second.nextPacket()).message).toBe('to the adopted uuid');

    // A forged or foreign id is refused: routing does not move.
    const third = await page('/');
    third.send({ opcode: 'uuid', message: '11111111-2222-4333-8444-555555555555.deadbeefdeadbeefdeadbeefdeadbeef' });
    expect((await third.nextPacket()).opcode).toBe('next');
    await sender.talk({ opcode: 'feedback', uuid: '11111111-2222-4333-8444-555555555555', message: 'x' });
    third.send({ opcode: 'echo', message: 'probe' });
    expect((await third.nextPacket()).opcode).toBe('next');
    expect((await third.nextPacket()).message).toBe('probe');
  });

  it('ignores unknown opcodes in v1 but answers next', async () => {
    const { backend } = await setup();
    const b = await backend();
    await b.talk({ opcode: 'no-such-opcode' });
    await b.talk('[1,2,3]');
    await b.talk({ opcode: 'echo', message: 'still here' });
    expect((await b.readPacket()).message).toBe('still here');
  });

  it('refuses an unknown resource with a close packet', async () => {
    const { relay } = await setup();
    const page = new PageClient_Raw(relay.url('/nowhere'));
    const first = await page.first();
    expect(JSON.parse(first)).toMatchObject({ opcode: 'close' });
  });
});

import { WebSocket } from 'ws';
class PageClient_Raw {
  readonly ws: WebSocket;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    cleanup.add(this.ws, (w) => w.terminate());
  }
  first(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.ws.once('message', (d: Buffer) => resolve(d.toString()));
      this.ws.once('error', reject);
    });
  }
}

describe('broadcast under load', () => {
  it('a burst of broadcasts (coalesced per page) arrives complete and in order at every page', async () => {
    const relay = cleanup.add(await startRelay({ broadcastBatchMs: 5 }), (r) => r.stop());
    const pages = await Promise.all(Array.from({ length: 20 }, () => PageClient.connect(relay.url('/web'))));
    for (const p of pages) cleanup.add(p, (c) => c.close());
    const sender = cleanup.add(await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'] }), (p) => p.close());
    for (let i = 0; i < 300; i++) sender.send({ opcode: 'broadcast', message: i });
    for (const page of pages) for (let i = 0; i < 300; i++) expect((await page.nextPacket()).message).toBe(i);
  });
});
