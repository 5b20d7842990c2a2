import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function setup() {
  const relay = cleanup.add(await startRelay(), (r) => r.stop());
  const bystander = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
  const stillWorks = async () => {
    bystander.send({ opcode: 'echo', message: 'ok' });
    expect((await bystander.nextPacket()).opcode).toBe('next');
    expect((await bystander.nextPacket()).message).toBe('ok');
  };
  return { relay, stillWorks };
}

describe('bad input never hurts', () => {
  it('invalid JSON from a page: close packet with the reason, then 1007', async () => {
    const { relay, stillWorks } = await setup();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    page.send('{"opcode": "feedback", oops');
    const packet = await page.nextPacket();
    expect(packet).toEqual({ opcode: 'close', error: 'the message is not valid JSON' });
    expect(await page.closed()).toBe(1007);
    await stillWorks();
  });

  it('invalid JSON from a PHP backend: the close packet is its answer', async () => {
    const { relay, stillWorks } = await setup();
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    backend.send('not json at all');
    expect((await backend.readPacket()).opcode).toBe('close');
    expect([1007, null]).toContain(await backend.closeCode());
    await stillWorks();
  });

  it('invalid JSON from a PHP backend while frames to it wait for their gap: the close packet is still its answer', async () => {
    const relay = cleanup.add(await startRelay({ backendFrameGapMs: 1_000 }), (r) => r.stop());
    const receiver = cleanup.add(await PhpStyleClient.connect({ port: relay.port, ident: 'receiver' }), (c) => c.destroy());
    const sender = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    for (const m of ['a', 'b', 'c']) await sender.talk({ opcode: 'feedback', ident: 'receiver', message: m });
    receiver.send('not json at all');
    expect(await receiver.readPacket()).toEqual({ opcode: 'close', error: 'the message is not valid JSON' });
    expect([1007, null]).toContain(await receiver.closeCode());
  });

  it('invalid UTF-8, reserved opcodes and unmasked frames close that client only', async () => {
    const { relay, stillWorks } = await setup();
    const cases: [number, Buffer][] = [
      [1, Buffer.from([0xc3, 0x28, 0xa0, 0xa1])], // invalid UTF-8 in a text frame
      [3, Buffer.from('reserved')], // reserved data opcode
    ];
    for (const [opcode, payload] of cases) {
      const c = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (x) => x.destroy());
      c.sendFrame(opcode, payload);
      const frame = await c.readPacket();
      expect(frame.opcode).toBe('<close-frame>');
      expect([1002, 1007]).toContain(frame.code);
    }
    const unmasked = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (x) => x.destroy());
    unmasked.socket.write(Buffer.from([0x81, 0x02, 0x7b, 0x7d]));
    expect((await unmasked.readPacket()).code).toBe(1002);
    await stillWorks();
  });

  it('a continuation frame with nothing to continue from a browser (1002), and a flood of tiny frames', async () => {
    const { relay, stillWorks } = await setup();
    // A browser-like raw client (no Client-Type): only backends get the PHP-client allowance.
    const c = cleanup.add(
      await PhpStyleClient.connect({ port: relay.port, path: '/web', headers: { 'Client-Type': null }, exactHandshakeRead: true }),
      (x) => x.destroy(),
    );
    c.sendFrame(0, Buffer.from('orphan'));
    expect((await c.readPacket()).code).toBe(1002);
    const flood = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    for (let i = 0; i < 5_000; i++) flood.send('{"opcode":"nothing"}');
    await expect.poll(() => flood.received.length, { timeout: 10_000 }).toBe(5_000);
    await stillWorks();
  });

  it('accepts what the original PHP client sends after its first message (FIN + opcode 0) from backends', async () => {
    const { relay, stillWorks } = await setup();
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (x) => x.destroy());
    await backend.talk({ opcode: 'feedback', uuid: page.uuid, message: 'as a text frame' });
    // From here on the PHP client's encoder writes 0x80 frames; they must count as messages.
    backend.sendFrame(0, Buffer.from(JSON.stringify({ opcode: 'feedback', uuid: page.uuid, message: 'as FIN + opcode 0' })));
    expect((await backend.readPacket()).opcode).toBe('next');
    expect((await page.nextPacket()).message).toBe('as a text frame');
    expect((await page.nextPacket()).message).toBe('as FIN + opcode 0');
    await stillWorks();
  });

  it('a peer that vanishes without a close frame is cleaned up', async () => {
    const { relay, stillWorks } = await setup();
    const c = await PhpStyleClient.connect({ port: relay.port, ident: 'ghost' });
    expect(relay.hub.byIdent('ghost')).toBeDefined();
    c.destroy();
    await expect.poll(() => relay.hub.byIdent('ghost')).toBeUndefined();
    await stillWorks();
  });
});

describe('floods', () => {
  it('a client over maxMessageRate is slowed down by TCP, and loses nothing', async () => {
    const relay = cleanup.add(await startRelay({ maxMessageRate: 200 }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const flooder = cleanup.add(
      await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'], headers: { 'Client-Type': 'php' } }),
      (p) => p.close(),
    );
    const n = 600;
    for (let i = 0; i < n; i++) flooder.send({ opcode: 'feedback', uuid: page.uuid, message: i });
    for (let i = 0; i < n; i++) expect((await page.nextPacket(10_000)).message).toBe(i);
    expect(relay.stats.throttled).toBeGreaterThan(0);
    expect(relay.hub.size).toBe(2); // slowed, not cut off
  });
});
