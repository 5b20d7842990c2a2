/**
 * The Redis engine with two relays in this process sharing a real
 * redis-server: publications reach a client held by the other node, with
 * the outcome the holder decided; a page resumes on the other node; with
 * Redis gone publishes are answered `failed` and /health says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Relay } from '../../server/relay.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { redisPerFile } from '../helpers/redis-per-file.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const V2 = { protocols: ['websock.v2'] };
const cleanup = new Cleanup();
const redis = redisPerFile();
let prefixes = 0;

afterEach(() => cleanup.run());

async function twoNodes(): Promise<[Relay, Relay]> {
  const brokerPrefix = `t${++prefixes}:`;
  const a = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix }), (r) => r.stop());
  const b = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix }), (r) => r.stop());
  return [a, b];
}

async function v2Backend(relay: Relay, ident?: string) {
  const headers: Record<string, string> = { 'Client-Type': 'php' };
  if (ident) headers.Ident = ident;
  return cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers }), (p) => p.close());
}

async function publish(publisher: PageClient, packet: object): Promise<unknown> {
  publisher.send(packet);
  for (;;) {
    const answer = await publisher.nextPacket();
    if (answer.opcode === 'outcome' || answer.opcode === 'error') return answer.outcome ?? answer.code;
  }
}

describe('Redis engine: two nodes act as one relay', () => {
  it('feedback by uuid reaches a page on the other node (delivered), is held while it is away, and the page resumes on the other node', async () => {
    const [a, b] = await twoNodes();
    const page = cleanup.add(await PageClient.connect(a.url('/web'), V2), (p) => p.close());
    const publisher = await v2Backend(b);
    expect(await publish(publisher, { opcode: 'feedback', uuid: page.uuid, message: 'one', id: 1 })).toBe('delivered');
    expect(await page.nextPacket()).toMatchObject({ seq: 1, message: 'one' });
    const epoch = a.sessions.get(page.uuid.split('.')[0]!)!.epoch;
    page.close();
    await expect.poll(() => a.hub.browserCount).toBe(0);
    expect(await publish(publisher, { opcode: 'feedback', uuid: page.uuid, message: 'two', id: 2 })).toBe('held');
    expect(await publish(publisher, { opcode: 'feedback', uuid: page.uuid, message: 'three', id: 3 })).toBe('held');

    const again = cleanup.add(await PageClient.connect(b.url('/web'), V2), (p) => p.close());
    again.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 1, epoch });
    expect(await again.nextPacket()).toEqual({
      opcode: 'resumed',
      uuid: page.uuid,
      resumeToken: page.resumeToken,
      recovered: true,
      lastSeq: 3,
      epoch,
    });
    expect(await again.nextPacket()).toMatchObject({ seq: 2, message: 'two' });
    expect(await again.nextPacket()).toMatchObject({ seq: 3, message: 'three' });
    expect(await publish(publisher, { opcode: 'feedback', uuid: page.uuid, message: 'four', id: 4 })).toBe('delivered');
    expect(await again.nextPacket()).toMatchObject({ seq: 4, message: 'four' });
  });

  it('by Ident, broadcast and HTTP publish across nodes, with the right outcomes; unknown when nobody holds it', async () => {
    const [a, b] = await twoNodes();
    const worker = await v2Backend(a, 'worker');
    const page = cleanup.add(await PageClient.connect(a.url('/web')), (p) => p.close());
    const publisher = await v2Backend(b);
    expect(await publish(publisher, { opcode: 'feedback', ident: 'worker', message: 'for the worker', id: 'i' })).toBe('delivered');
    expect(await worker.nextPacket()).toMatchObject({ message: 'for the worker' });
    expect(await publish(publisher, { opcode: 'feedback', ident: 'nobody', message: 'x', id: 'n' })).toBe('unknown');
    expect(await publish(publisher, { opcode: 'feedback', uuid: 'no-such-uuid', message: 'x', id: 'u' })).toBe('unknown');

    publisher.send({ opcode: 'broadcast', message: 'to all', id: 'b' });
    expect(await publisher.nextPacket()).toMatchObject({ opcode: 'outcome', id: 'b', outcome: 'delivered', count: 1 });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'broadcast', message: 'to all' });

    const response = await fetch(b.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: page.uuid, message: 'by HTTP' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: 'delivered' });
    expect(await page.nextPacket()).toMatchObject({ message: 'by HTTP' });
  });

  it('with Redis gone: publishes are answered failed (HTTP 503), /health says the engine is down, pages stay connected', async () => {
    const own = await RedisServer.start();
    try {
      const brokerPrefix = 'down:';
      const a = cleanup.add(await startRelay({ broker: own.url, brokerPrefix }), (r) => r.stop());
      const b = cleanup.add(await startRelay({ broker: own.url, brokerPrefix }), (r) => r.stop());
      const page = cleanup.add(await PageClient.connect(a.url('/web')), (p) => p.close());
      await own.stop();
      await expect.poll(async () => (await fetch(b.httpUrl('/health'))).status, { timeout: 5_000 }).toBe(503);
      const health = (await (await fetch(b.httpUrl('/health'))).json()) as { engine?: { state: string } };
      expect(health.engine?.state).toBe('down');
      const response = await fetch(b.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ uuid: page.uuid, message: 'lost?' }) });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ outcome: 'failed', code: 'ENGINE_FAILED' });
      expect(page.closeCode).toBeNull();
      expect(a.hub.browserCount).toBe(1);
    } finally {
      await own.stop();
    }
  });
});
