/**
 * The memory bounds proved the way the issue asks: a relay process whose
 * heap is capped (`--max-old-space-size=192`) is attacked with what used to
 * run it out of memory, each attack alone more than its heap, and must stay
 * up and serve a page that has nothing to do with the attacks. Its budgets
 * are the `auto` defaults, derived from that heap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildRelay } from '../fuzz/child-relay.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { Cleanup, PageClient } from '../helpers/relay-fixture.js';

const V2 = { protocols: ['websock.v2'] };
const MiB = 1024 * 1024;
const cleanup = new Cleanup();
let relay: ChildRelay;

beforeAll(async () => {
  await ensureBuilt();
  relay = await ChildRelay.start([], ['--max-old-space-size=192']);
}, 60_000);

afterAll(async () => {
  await cleanup.run();
  await relay?.stop();
});

function url(path = '/'): string {
  return `ws://127.0.0.1:${relay.port}${path}`;
}

/** A v2 backend that waits for each outcome (so the test itself holds one message at a time). */
async function backend() {
  const client = cleanup.add(await PageClient.connect(url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) => p.close());
  let id = 0;
  return async (packet: object): Promise<unknown> => {
    client.send({ opcode: 'feedback', ...packet, id: ++id });
    for (;;) {
      const answer = await client.nextPacket(60_000);
      if (answer.id === id) return answer.outcome ?? answer.code;
    }
  };
}

async function stillServes(): Promise<void> {
  expect(relay.exited, relay.output).toBeNull();
  const page = cleanup.add(await PageClient.connect(url('/'), { ...V2, localAddress: '127.0.0.5' }), (p) => p.close());
  page.send({ opcode: 'echo', message: 'still here', id: 'e' });
  expect(await page.nextPacket()).toMatchObject({ opcode: 'echo', message: 'still here' });
  page.close();
}

describe('a relay with a 192 MiB heap', () => {
  it('keeps its head when 100 pages from one address go away and each is sent 2 MB of history (1 MB kept for replay, 1 MB as the latest progress of a job)', async () => {
    const publish = await backend();
    const pages = [];
    for (let i = 0; i < 100; i++) pages.push(cleanup.add(await PageClient.connect(url('/'), V2), (p) => p.close()));
    for (const page of pages) page.close();
    const big = 'p'.repeat(1000 * 1024);
    for (const page of pages) {
      // A progress message (kept as the job's latest) and a plain one (kept for replay): both stay held.
      await publish({ uuid: page.uuid, message: big, progress: { job: 'import', done: 1, total: 2 } });
      await publish({ uuid: page.uuid, message: big });
    }
    await stillServes();
  }, 180_000);

  it('keeps its head when 20 connections each send 8 MiB of bufferON chunks and never finish', async () => {
    const chunk = 'c'.repeat(MiB);
    const senders = [];
    for (let i = 0; i < 20; i++) senders.push(cleanup.add(await PageClient.connect(url('/'), V2), (p) => p.close()));
    for (const sender of senders) {
      sender.send('bufferON');
      for (let i = 0; i < 8; i++) sender.send(chunk);
    }
    // A ping is answered once the relay has read everything before it (or the sender is closed).
    for (const sender of senders) {
      if (sender.closeCode !== null) continue;
      await new Promise<void>((resolve) => {
        sender.ws.once('pong', () => resolve());
        sender.ws.once('close', () => resolve());
        sender.ws.ping();
      });
    }
    await stillServes();
    // Each is either still holding its message (within inFlightTotal) or was told it would go over it.
    let refused = 0;
    for (const sender of senders) {
      if (sender.received.some((text) => text.includes('IN_FLIGHT_FULL'))) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    for (const sender of senders) sender.close();
  }, 180_000);

  it('keeps its head when pages are sent many 4 MiB messages (each over retentionSize, so each is dropped at once)', async () => {
    const publish = await backend();
    const big = 'm'.repeat(4 * MiB);
    const pages = [];
    for (let i = 0; i < 4; i++) pages.push(cleanup.add(await PageClient.connect(url('/'), V2), (p) => p.close()));
    for (const page of pages) page.close();
    for (const page of pages) for (let i = 0; i < 16; i++) await publish({ uuid: page.uuid, message: big });
    await stillServes();
  }, 180_000);
});
