import { afterEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };
const BACKEND = { ...V2, headers: { 'Client-Type': 'php' } };

async function nextOf(client: PageClient, opcode: string): Promise<{ opcode: string; [k: string]: unknown }> {
  for (;;) {
    const packet = await client.nextPacket();
    if (packet.opcode === opcode) return packet;
  }
}

describe('signals page → job', () => {
  it('reach a v2 backend that reports the job; an unknown job is said so', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), BACKEND), (p) => p.close());
    backend.send({ opcode: 'feedback', uuid: page.uuid, progress: { job: 'j1', done: 1, total: 5 }, id: 1 });
    expect(await backend.nextPacket()).toMatchObject({ outcome: 'delivered' });
    await page.nextPacket();
    page.send({ opcode: 'signal', job: 'j1', signal: 'cancel', data: { why: 'user' }, id: 's1' });
    expect(await page.nextPacket()).toEqual({ opcode: 'outcome', id: 's1', outcome: 'delivered' });
    expect(await backend.nextPacket()).toEqual({ opcode: 'signal', uuid: page.uuid, job: 'j1', signal: 'cancel', data: { why: 'user' } });
    page.send({ opcode: 'signal', job: 'nope', signal: 'cancel', id: 's2' });
    expect(await page.nextPacket()).toEqual({ opcode: 'outcome', id: 's2', outcome: 'unknown' });
    page.send({ opcode: 'signal', job: 'nope', signal: 'cancel' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', code: 'UNKNOWN_JOB' });
    page.send({ opcode: 'signal', job: 'j1', id: 's3' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', id: 's3', code: 'BAD_PACKET' });
  });

  it("refuses a page signalling another page's job", async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const victim = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const other = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), BACKEND), (p) => p.close());
    backend.send({ opcode: 'feedback', uuid: victim.uuid, progress: { job: 'j', done: 1 }, id: 1 });
    await backend.nextPacket();
    other.send({ opcode: 'signal', uuid: victim.uuid, job: 'j', signal: 'cancel', id: 'x' });
    expect(await other.nextPacket()).toMatchObject({ opcode: 'error', id: 'x', code: 'FORBIDDEN' });
    // Without a uuid it names its own page, which has no such job.
    other.send({ opcode: 'signal', job: 'j', signal: 'cancel', id: 'y' });
    expect(await other.nextPacket()).toEqual({ opcode: 'outcome', id: 'y', outcome: 'unknown' });
    backend.send({ opcode: 'echo', message: 'nothing came before this', id: 2 });
    expect(await backend.nextPacket()).toMatchObject({ opcode: 'echo' });
  });

  it('are held for an HTTP publisher: in the answer to its next POST /feedback, or by long-polling GET /signals', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const post = async (progress: object): Promise<{ outcome: string; signals?: unknown[] }> => {
      const res = await fetch(relay.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: page.uuid, progress }) });
      return (await res.json()) as { outcome: string; signals?: unknown[] };
    };
    expect(await post({ job: 'h', done: 1 })).toEqual({ outcome: 'delivered' });
    page.send({ opcode: 'signal', job: 'h', signal: 'pause', id: 1 });
    expect(await nextOf(page, 'outcome')).toEqual({ opcode: 'outcome', id: 1, outcome: 'held' });
    expect(await post({ job: 'h', done: 2 })).toEqual({
      outcome: 'delivered',
      signals: [{ opcode: 'signal', uuid: page.uuid, job: 'h', signal: 'pause' }],
    });
    expect(await post({ job: 'h', done: 3 })).toEqual({ outcome: 'delivered' });
    const url = relay.httpUrl(`/signals?uuid=${encodeURIComponent(page.uuid)}&job=h&wait=30`);
    const polled = fetch(url).then((res) => res.json());
    // Whether the poll waits already or comes after, it gets the signal.
    page.send({ opcode: 'signal', job: 'h', signal: 'cancel', id: 2 });
    expect(await nextOf(page, 'outcome')).toMatchObject({ id: 2 });
    expect(await polled).toEqual({
      job: 'h',
      state: 'running',
      signals: [{ opcode: 'signal', uuid: page.uuid, job: 'h', signal: 'cancel' }],
    });
    const none = await fetch(relay.httpUrl(`/signals?uuid=${encodeURIComponent(page.uuid)}&job=h`));
    expect(await none.json()).toEqual({ job: 'h', state: 'running', signals: [] });
    const unknown = await fetch(relay.httpUrl(`/signals?uuid=${encodeURIComponent(page.uuid)}&job=zzz`));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'UNKNOWN_JOB' });
  });

  it("keep the answer's Retry-After when they ride on a 503 (the engine failed)", async () => {
    const redis = cleanup.add(await RedisServer.start(), (r) => r.stop());
    const relay = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix: 'ra:' }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const post = (progress: object): Promise<Response> =>
      fetch(relay.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: page.uuid, progress }) });
    expect((await post({ job: 'r', done: 1 })).status).toBe(200);
    await nextOf(page, 'feedback');
    page.send({ opcode: 'signal', job: 'r', signal: 'cancel', id: 1 });
    expect(await nextOf(page, 'outcome')).toEqual({ opcode: 'outcome', id: 1, outcome: 'held' });
    await redis.stop();
    const res = await post({ job: 'r', done: 2 });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { outcome: string; signals: unknown[] };
    expect(body).toMatchObject({ outcome: 'failed', signals: [{ opcode: 'signal', uuid: page.uuid, job: 'r', signal: 'cancel' }] });
  });
});
