/**
 * Backpressure of WebSockets on HTTP/2 streams: a stream's flow-control
 * window is its backpressure, so a reader that stops sending WINDOW_UPDATE
 * is held within maxBuffered while the other streams of the same connection
 * keep receiving; and the stall detector sees a draining h2 reader move
 * (an Http2Stream has no bytesWritten) while one that stopped does not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from '../../include/address.js';
import { Keepalive } from '../../server/keepalive.js';
import { silentLogger } from '../../server/logger/logger.js';
import { H2Connection, type H2RawWebSocket } from '../helpers/h2-websocket-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const LIMIT = 256 * 1024;
const MESSAGE = 'p'.repeat(16 * 1024);
const h2c = { address: parseAddress('ws://127.0.0.1:0'), http2: true };

async function pageOn(h2: H2Connection, protocols: string[] = []): Promise<H2RawWebSocket> {
  const { ws } = await h2.websocket('/web', { protocols });
  await ws.ready();
  return ws;
}

function connectionOf(relay: Awaited<ReturnType<typeof startRelay>>, uuid: string) {
  return [...relay.hub.all()].find((c) => c.uuid === uuid)!;
}

describe('HTTP/2 streams under backpressure', () => {
  it('a stalled h2 stream is held within maxBuffered while a page on the same connection gets everything', async () => {
    const relay = cleanup.add(await startRelay({ ...h2c, maxBufferedBytes: LIMIT, stallTimeoutMs: 60_000 }), (r) => r.stop());
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port }), (c) => c.close());
    const stalled = await pageOn(h2);
    const healthy = await pageOn(h2);
    stalled.stream.pause(); // no more WINDOW_UPDATE for this stream
    const publisher = cleanup.add(
      await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'], headers: { 'Client-Type': 'php' } }),
      (p) => p.close(),
    );
    const n = 1_000; // 16 MiB towards a stream that takes none of it
    let peak = 0;
    let dropped = 0;
    for (let batch = 0; batch < n; batch += 100) {
      for (let i = batch; i < batch + 100; i++) {
        publisher.send({ opcode: 'feedback', uuid: stalled.uuid, message: MESSAGE, id: i });
        publisher.send({ opcode: 'feedback', uuid: healthy.uuid, message: `h${i}`, id: `h${i}` });
      }
      for (let k = 0; k < 200; k++) if ((await publisher.nextPacket()).outcome === 'dropped') dropped++;
      peak = Math.max(peak, relay.bufferedBytes());
    }
    for (let i = 0; i < n; i++) expect((await healthy.nextPacket()).message).toBe(`h${i}`);
    peak = Math.max(peak, relay.bufferedBytes());
    expect(peak).toBeLessThanOrEqual(LIMIT + 2 * MESSAGE.length);
    expect(connectionOf(relay, stalled.uuid).bufferedBytes).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(relay.stats.drops.slow_consumer).toBeGreaterThan(0);
  });

  it('the stall detector sees a draining h2 stream move and closes one that stopped with 1013; its neighbour stays', async () => {
    // The relay's own sweep never fires here; the test drives one with its own clock.
    const relay = cleanup.add(await startRelay({ ...h2c, maxBufferedBytes: 4 * 1024 * 1024, stallTimeoutMs: 600_000 }), (r) => r.stop());
    const keepalive = new Keepalive(relay.hub, relay.stats, silentLogger, { pingIntervalMs: 0, stallTimeoutMs: 1_000 });
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port }), (c) => c.close());
    const slow = await pageOn(h2);
    const neighbour = await pageOn(h2);
    slow.stream.pause();
    const publisher = cleanup.add(
      await PageClient.connect(relay.url('/php'), { protocols: ['websock.v2'], headers: { 'Client-Type': 'php' } }),
      (p) => p.close(),
    );
    for (let i = 0; i < 128; i++) publisher.send({ opcode: 'feedback', uuid: slow.uuid, message: MESSAGE, id: i });
    for (let i = 0; i < 128; i++) await publisher.nextPacket();
    const conn = connectionOf(relay, slow.uuid);
    expect(conn.bufferedBytes).toBeGreaterThan(1024 * 1024);
    let now = Date.now();
    keepalive.stallRound(now);
    // The page reads a little, one read at a time (each opens its stream's window by what it took).
    const before = conn.bytesWritten;
    await expect
      .poll(
        () => {
          slow.stream.read();
          return conn.bytesWritten;
        },
        { timeout: 5_000, interval: 20 },
      )
      .toBeGreaterThan(before);
    expect(conn.bufferedBytes).toBeGreaterThan(0);
    now += 1_500;
    keepalive.stallRound(now);
    expect(conn.closing).toBe(false); // it moved: not stalled
    now += 1_500;
    keepalive.stallRound(now);
    expect(conn.closing).toBe(true); // a whole stallTimeout without moving
    expect(connectionOf(relay, neighbour.uuid).closing).toBe(false);
    neighbour.send({ opcode: 'echo', message: 'still here' });
    expect((await neighbour.nextPacket()).opcode).toBe('next');
  });
});
