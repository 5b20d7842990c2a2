import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A page that completes the handshake and then never reads a byte. */
function stalledPage(port: number, protocol?: string): Socket {
  const socket = cleanup.add(connect(port, '127.0.0.1'), (s) => s.destroy());
  socket.on('error', () => {});
  const lines = [
    'GET /web HTTP/1.1',
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
  return socket;
}

const LIMIT = 256 * 1024;
const MESSAGE = 'p'.repeat(16 * 1024);

describe('backpressure', () => {
  it('a v1 page that never reads: its messages are dropped and counted, memory stays bounded, others get everything', async () => {
    const relay = cleanup.add(await startRelay({ maxBufferedBytes: LIMIT, stallTimeoutMs: 60_000 }), (r) => r.stop());
    const healthy = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    stalledPage(relay.port);
    await expect.poll(() => relay.hub.size).toBe(2);
    const stalled = [...relay.hub.all()].find((c) => c.uuid !== healthy.uuid)!;
    const publisher = cleanup.add(
      await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'], headers: { 'Client-Type': 'php' } }),
      (p) => p.close(),
    );
    const n = 2_000; // 32 MiB towards a reader that takes none of it
    let peak = 0;
    let slow = 0;
    for (let batch = 0; batch < n; batch += 100) {
      for (let i = batch; i < batch + 100; i++) {
        publisher.send({ opcode: 'feedback', uuid: stalled.uuid, message: MESSAGE, id: i });
        publisher.send({ opcode: 'feedback', uuid: healthy.uuid, message: `h${i}`, id: `h${i}` });
      }
      // Every request is answered; then look at the relay's own gauge.
      for (let k = 0; k < 200; k++) if ((await publisher.nextPacket()).outcome === 'dropped') slow++;
      peak = Math.max(peak, relay.bufferedBytes());
    }
    for (let i = 0; i < n; i++) expect((await healthy.nextPacket()).message).toBe(`h${i}`);
    peak = Math.max(peak, relay.bufferedBytes());
    expect(peak).toBeLessThanOrEqual(LIMIT + 2 * MESSAGE.length);
    expect(relay.stats.drops.slow_consumer).toBeGreaterThan(0);
    expect(slow).toBeGreaterThan(0);
  });

  it('a v2 page that stalls: messages are held in retention and it is closed with 1013 when it stays stalled', async () => {
    const relay = cleanup.add(await startRelay({ maxBufferedBytes: LIMIT, stallTimeoutMs: 300 }), (r) => r.stop());
    const socket = stalledPage(relay.port, 'websock.v2');
    await expect.poll(() => relay.hub.size).toBe(1);
    const stalled = [...relay.hub.all()][0]!;
    const publisher = cleanup.add(
      await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'], headers: { 'Client-Type': 'php' } }),
      (p) => p.close(),
    );
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 1_000; i++) publisher.send({ opcode: 'feedback', uuid: stalled.uuid, message: MESSAGE, id: i });
    for (let i = 0; i < 1_000; i++) {
      const o = String((await publisher.nextPacket()).outcome);
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    }
    expect(outcomes.get('held')).toBeGreaterThan(0);
    expect(relay.bufferedBytes()).toBeLessThanOrEqual(LIMIT + 2 * MESSAGE.length);
    const retained = relay.sessions.retained();
    expect(retained.bytes).toBeLessThanOrEqual(relay.config.retentionBytes);
    // The page still reads nothing: the relay gives up on it (1013, then cut).
    await expect.poll(() => relay.hub.size, { timeout: 10_000 }).toBe(1); // only the publisher
    await new Promise((resolve) => socket.on('close', resolve).resume());
    expect(relay.sessions.get(stalled.key)).toBeDefined(); // kept for a resume
  });
});
