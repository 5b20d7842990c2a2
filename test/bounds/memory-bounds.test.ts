/**
 * The relay-wide memory bounds of issue 8 item 5, each against a real relay
 * on port 0 with real sockets: retention (per page, per client, in total),
 * unfinished messages (budget and timeout), connections per address group,
 * and replies to a client that does not read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

async function backend(relay: Relay) {
  const client = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) => p.close());
  return async (uuid: string, message: string, extra: object = {}) => {
    client.send({ opcode: 'feedback', uuid, message, id: 'f', ...extra });
    return (await client.nextPacket()).outcome;
  };
}

async function awayPage(relay: Relay, localAddress?: string) {
  const page = cleanup.add(await PageClient.connect(relay.url('/'), { ...V2, localAddress }), (p) => p.close());
  page.close();
  await expect.poll(() => relay.sessions.get(page.uuid.split('.')[0]!)?.conn === null).toBe(true);
  return page;
}

async function resume(relay: Relay, page: { uuid: string; resumeToken: string }) {
  const back = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
  back.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 0 });
  return (await back.nextPacket()).recovered;
}

describe('retention bounds', () => {
  it('counts the latest progress of each job in websock_retained_bytes', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const publish = await backend(relay);
    const page = await awayPage(relay);
    expect(await publish(page.uuid, 'x'.repeat(1000), { progress: { job: 'import', done: 1, total: 2 } })).toBe('held');
    const session = relay.sessions.get(page.uuid.split('.')[0]!)!;
    expect(session.retention.bytes).toBeGreaterThan(1000);
    // The same text is kept twice: once for replay, once as the job's latest progress.
    expect(relay.sessions.retained().bytes).toBe(2 * session.retention.bytes);
    const metrics = await (await fetch(relay.httpUrl('/metrics'))).text();
    expect(metrics).toMatch(new RegExp(`^websock_retained_bytes ${2 * session.retention.bytes}$`, 'm'));
  });

  it('over retentionTotal drops the sessions away longest first; their pages resume with recovered:false', async () => {
    const relay = cleanup.add(await startRelay({ retentionTotalBytes: 3_000 }), (r) => r.stop());
    const publish = await backend(relay);
    const [first, second, third] = [await awayPage(relay), await awayPage(relay), await awayPage(relay)];
    for (const page of [first, second, third]) expect(await publish(page.uuid, 'm'.repeat(950))).toBe('held');
    expect(relay.sessions.retained().bytes).toBeLessThanOrEqual(3_000);
    expect(relay.stats.sessionEvictions?.budget).toBe(1);
    expect(await resume(relay, first)).toBe(false);
    expect(await resume(relay, third)).toBe(true);
    expect(await resume(relay, second)).toBe(true);
  });

  it('keeps at most maxSessionsPerIP away sessions per client (all of 127.x is one)', async () => {
    const relay = cleanup.add(await startRelay({ maxSessionsPerIP: 2 }), (r) => r.stop());
    const oldest = await awayPage(relay, '127.0.0.2');
    await awayPage(relay, '127.0.0.3');
    const page = cleanup.add(await PageClient.connect(relay.url('/'), { ...V2, localAddress: '127.0.0.4' }), (p) => p.close());
    page.close();
    await expect.poll(() => relay.sessions.size).toBe(2);
    expect(await resume(relay, oldest)).toBe(false);
    expect(relay.stats.sessionEvictions?.per_ip).toBe(1);
  });
});

describe('connections per address group', () => {
  it('maxPerIP counts every loopback address as one client: walking 127.0.0.x does not get past it', async () => {
    const relay = cleanup.add(await startRelay({ maxPerIP: 2 }), (r) => r.stop());
    cleanup.add(await PageClient.connect(relay.url('/'), { localAddress: '127.0.0.2' }), (p) => p.close());
    cleanup.add(await PageClient.connect(relay.url('/'), { localAddress: '127.0.0.3' }), (p) => p.close());
    await expect(PageClient.connect(relay.url('/'), { localAddress: '127.0.0.4' })).rejects.toThrow(/too many connections/);
    expect(relay.hub.countFromIp('127.0.0.9')).toBe(2);
  });
});

/** A v2 client that speaks in pieces: bufferON chunks, or RFC 6455 fragments. */
function rawV2(relay: Relay): Promise<PageClient> {
  return PageClient.connect(relay.url('/'), V2);
}

describe('unfinished messages', () => {
  it('over inFlightTotal the client that would go over is closed with IN_FLIGHT_FULL; the others finish theirs', async () => {
    const relay = cleanup.add(await startRelay({ inFlightTotalBytes: 100_000 }), (r) => r.stop());
    const a = cleanup.add(await rawV2(relay), (p) => p.close());
    const b = cleanup.add(await rawV2(relay), (p) => p.close());
    const c = cleanup.add(await rawV2(relay), (p) => p.close());
    const text = JSON.stringify({ opcode: 'echo', message: 'a'.repeat(60_000) });
    a.send('bufferON');
    a.send(text.slice(0, 30_000));
    a.send(text.slice(30_000));
    await expect.poll(() => relay.inFlight.bytes).toBeGreaterThanOrEqual(60_000);
    b.send('bufferON');
    b.send('b'.repeat(60_000));
    expect(await b.nextPacket()).toMatchObject({ opcode: 'error', code: 'IN_FLIGHT_FULL' });
    expect(await b.closed()).toBe(1013);
    // A fragmented message counts the same.
    c.ws.send('c'.repeat(60_000), { fin: false });
    expect(await c.nextPacket()).toMatchObject({ opcode: 'error', code: 'IN_FLIGHT_FULL' });
    expect(await c.closed()).toBe(1013);
    a.send('bufferOFF');
    expect(JSON.parse(await a.next())).toMatchObject({ opcode: 'echo', message: 'a'.repeat(60_000) });
    expect(relay.stats.inFlightRefusals.budget).toBe(2);
    await expect.poll(() => relay.inFlight.bytes).toBe(0);
  });

  it('closes a message left unfinished past messageTimeout (chunked or fragmented) with MESSAGE_TIMEOUT', async () => {
    const relay = cleanup.add(await startRelay({ messageTimeoutMs: 1_000 }), (r) => r.stop());
    const chunked = cleanup.add(await rawV2(relay), (p) => p.close());
    const fragmented = cleanup.add(await rawV2(relay), (p) => p.close());
    const finished = cleanup.add(await rawV2(relay), (p) => p.close());
    chunked.send('bufferON');
    chunked.send('{"opcode":"echo",');
    fragmented.ws.send('{"opcode":', { fin: false });
    finished.send({ opcode: 'echo', message: 'done', id: 1 });
    expect(await finished.nextPacket()).toMatchObject({ opcode: 'echo' });
    expect(await chunked.nextPacket(10_000)).toMatchObject({ opcode: 'error', code: 'MESSAGE_TIMEOUT' });
    expect(await chunked.closed()).toBe(1008);
    expect(await fragmented.nextPacket(10_000)).toMatchObject({ opcode: 'error', code: 'MESSAGE_TIMEOUT' });
    expect(await fragmented.closed()).toBe(1008);
    expect(finished.closeCode).toBeNull();
    expect(relay.stats.inFlightRefusals.timeout).toBe(2);
  });
});

describe('replies count against maxBuffered', () => {
  it('a client that sends without reading is not read until it reads; then it gets its answers', async () => {
    const maxBufferedBytes = 64 * 1024;
    const relay = cleanup.add(await startRelay({ maxBufferedBytes }), (r) => r.stop());
    let most = 0;
    cleanup.add(
      relay.delivery.intercept({
        postSend: ({ conn }) => {
          if (conn.kind === 'browser') most = Math.max(most, conn.bufferedBytes);
        },
      }),
      (detach) => detach(),
    );
    const sender = cleanup.add(await PageClient.connect(relay.url('/')), (p) => p.close());
    sender.ws.pause();
    const count = 20_000;
    const packet = JSON.stringify({ opcode: 'echo', message: 'e'.repeat(1_000) });
    for (let i = 0; i < count; i++) sender.ws.send(packet);
    await expect.poll(() => relay.stats.readsPaused > 0 || relay.stats.messagesIn >= count, { timeout: 30_000 }).toBe(true);
    sender.ws.resume();
    let echoes = 0;
    let nexts = 0;
    // Every message is answered `next`; an echo over maxBuffered is dropped and counted, as any forwarded message.
    while (nexts < count || echoes + relay.stats.drops.slow_consumer < count) {
      if ((await sender.nextPacket(30_000)).opcode === 'echo') echoes++;
      else nexts++;
    }
    expect(relay.stats.drops.slow_consumer).toBeLessThan(count / 100);
    expect(relay.stats.readsPaused).toBeGreaterThan(0);
    // One read's worth of messages may be answered after the pause: about 64 KiB of requests, answered twice over.
    expect(most).toBeLessThan(maxBufferedBytes + 4 * 64 * 1024);
  });
});
