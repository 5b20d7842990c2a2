/**
 * The Pusher HTTP API of two relays sharing a real redis-server: an event
 * published on one node reaches a page held by the other through its page
 * channel, with the info the holder's node gave; a page away is kept for
 * its resume on either node.
 */
import Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import { RedisServer } from '../helpers/redis-server.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const APP = pusherApp({ id: '5', key: 'cluster-key', secret: 'cluster-secret' });
const cleanup = new Cleanup();
let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(() => cleanup.run());

async function twoNodes(): Promise<[Relay, Relay]> {
  const brokerPrefix = `pusher${++prefixes}:`;
  const a = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, pusherApps: [APP] }), (r) => r.stop());
  const b = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, pusherApps: [APP] }), (r) => r.stop());
  return [a, b];
}

function sdk(relay: Relay): Pusher {
  return new Pusher({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(relay.port), useTLS: false });
}

describe('Pusher HTTP API across two nodes with Redis', () => {
  it('an event published on node B reaches a page on node A through its page channel', async () => {
    const [a, b] = await twoNodes();
    const page = cleanup.add(await PageClient.connect(a.url('/web'), { protocols: [SUBPROTOCOL_V2] }), (p) => p.close());
    const channel = `private-websock-page-${page.uuid}`;
    const answer = await sdk(b).trigger(channel, 'progress', { percent: 10 }, { info: 'subscription_count' });
    expect(await answer.json()).toEqual({ channels: { [channel]: { subscription_count: 1 } } });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', event: 'progress', message: { percent: 10 } });

    const batch = await sdk(b).triggerBatch([{ channel, name: 'progress', data: { percent: 20 } }]);
    expect(batch.status).toBe(200);
    expect(await page.nextPacket()).toMatchObject({ event: 'progress', message: { percent: 20 } });
  });

  it('a page nobody holds counts 0 on every node', async () => {
    const [, b] = await twoNodes();
    const answer = await sdk(b).trigger('private-websock-page-nobody', 'progress', {}, { info: 'subscription_count' });
    expect(await answer.json()).toEqual({ channels: { 'private-websock-page-nobody': { subscription_count: 0 } } });
  });
});
