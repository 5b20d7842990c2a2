/**
 * The channels contract against the Redis engine: two engines (two nodes)
 * on a real redis-server; a node that goes away without its connections
 * leaving is reaped by the other (member_removed, lifecycle events, once);
 * and a Redis restarted empty gets every node's share back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../server/logger/logger.js';
import { RelayStats } from '../../server/metrics/relay-stats.js';
import { RedisEngine } from '../../server/engine/redis/redis-engine.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { Cleanup } from '../helpers/relay-fixture.js';
import type { ChannelLifecycle } from '../../server/engine/channels.js';
import { channelsContract, RecordingDelivery, type ChannelNode } from './channels-contract.js';
import { until } from './cluster-sockets.js';
import { TcpForwarder } from '../pusher/tcp-forwarder.js';
import { until as untilAsync } from '../pusher/ws-clients.js';

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

async function node(prefix: string, id: string, url = redis.url): Promise<ChannelNode & { engine: RedisEngine }> {
  const engine = new RedisEngine({
    url,
    prefix,
    nodeId: id,
    limits: { count: 10, bytes: 10_000, ageMs: 60_000 },
    pages: () => [],
    stats: new RelayStats(),
    logger: silentLogger,
    heartbeatMs: 200,
  });
  const delivery = new RecordingDelivery();
  engine.channels.attach(delivery);
  await engine.start();
  cleanup.add(engine, (e) => e.stop());
  return { channels: engine.channels, delivery, engine };
}

async function twoNodes(): Promise<(ChannelNode & { engine: RedisEngine })[]> {
  const prefix = `ch${++prefixes}:`;
  return [await node(prefix, `a${prefixes}`), await node(prefix, `b${prefixes}`)];
}

describe('Redis engine channels (the shared contract, two nodes)', () => {
  channelsContract(twoNodes);

  it('a node that stops is no longer counted: its subscribers and members leave the answers', async () => {
    const [a, b] = await twoNodes();
    await a!.channels.subscribe('app', 'presence-x', { socketId: '1.1', userId: 'ann', userInfo: '{}' }, 100);
    await b!.channels.subscribe('app', 'presence-x', { socketId: '2.2', userId: 'bob', userInfo: '{}' }, 100);
    expect(await a!.channels.channel('app', 'presence-x')).toEqual({ subscriptionCount: 2, userCount: 2 });
    await b!.engine.stop();
    expect(await a!.channels.channel('app', 'presence-x')).toEqual({ subscriptionCount: 1, userCount: 1 });
    expect(await a!.channels.users('app', 'presence-x')).toEqual(['ann']);
  });

  it('the node that stays reaps the other: member_removed to its members, member_removed and channel_vacated reported once', async () => {
    const [a, b] = await twoNodes();
    const seen: string[] = [];
    const record: ChannelLifecycle = {
      channelVacated: (_app, channel) => seen.push(`vacated ${channel}`),
      memberRemoved: (_app, channel, user) => seen.push(`removed ${channel} ${user}`),
    };
    a!.channels.listen(record);
    b!.channels.listen(record);
    a!.delivery.join('app', 'presence-x', '1.1');
    await a!.channels.subscribe('app', 'presence-x', { socketId: '1.1', userId: 'ann', userInfo: '{}' }, 100);
    await b!.channels.subscribe('app', 'presence-x', { socketId: '2.2', userId: 'bob', userInfo: '{}' }, 100);
    // Bob also on a, and carol only on b: neither bob's member_removed nor a vacated for presence-x.
    await b!.channels.subscribe('app', 'presence-x', { socketId: '2.3', userId: 'carol', userInfo: '{}' }, 100);
    await a!.channels.subscribe('app', 'presence-x', { socketId: '1.2', userId: 'bob', userInfo: '{}' }, 100);
    await b!.channels.subscribe('app', 'only-b', { socketId: '2.2', userId: null, userInfo: null }, 100);
    a!.delivery.got.clear();

    // b goes without its connections leaving (what a kill -9 leaves behind, but for the node key, deleted here at once).
    await b!.engine.stop();
    await until('carol removed', () => seen.includes('removed presence-x carol') && seen.includes('vacated only-b'), 5_000);
    expect(a!.delivery.got.get('1.1')).toEqual([
      { event: 'pusher_internal:member_removed', channel: 'presence-x', data: '{"user_id":"carol"}' },
    ]);
    expect(await a!.channels.users('app', 'presence-x')).toEqual(['ann', 'bob']);
    expect(await a!.channels.channel('app', 'presence-x')).toEqual({ subscriptionCount: 2, userCount: 2 });
    expect([...(await a!.channels.channels('app', ''))].map(([name]) => name)).toEqual(['presence-x']);
    // A few more reaper rounds: nothing reported twice.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(seen.sort()).toEqual(['removed presence-x carol', 'vacated only-b']);
  });

  it('a Redis restarted empty gets each node’s subscriptions and members back, without telling anyone', async () => {
    const own = cleanup.add(await RedisServer.start(), (r) => r.stop());
    let server = own;
    const prefix = `rs${++prefixes}:`;
    const a = await node(prefix, `a${prefixes}`, own.url);
    const b = await node(prefix, `b${prefixes}`, own.url);
    const seen: string[] = [];
    const record: ChannelLifecycle = {
      channelOccupied: (_app, channel) => seen.push(`occupied ${channel}`),
      memberAdded: (_app, channel, user) => seen.push(`added ${channel} ${user}`),
    };
    a.channels.listen(record);
    b.channels.listen(record);
    a.delivery.join('app', 'presence-x', '1.1');
    await a.channels.subscribe('app', 'presence-x', { socketId: '1.1', userId: 'ann', userInfo: '{"n":1}' }, 100);
    await b.channels.subscribe('app', 'presence-x', { socketId: '2.2', userId: 'bob', userInfo: '{"n":2}' }, 100);
    await b.channels.subscribe('app', 'public', { socketId: '2.2', userId: null, userInfo: null }, 100);
    await b.channels.subscribe('app', 'cache-status', { socketId: '2.2', userId: null, userInfo: null }, 100);
    b.delivery.join('app', 'cache-status', '2.2');
    await a.channels.publish('app', { event: 'status', channel: 'cache-status', data: '"up"' }, null);
    await until('the cached event on b', () => b.delivery.got.has('2.2'), 5_000);
    seen.length = 0;
    a.delivery.got.clear();

    await server.stop();
    server = await RedisServer.start(10_000, own.port);
    cleanup.add(server, (r) => r.stop());
    await untilAsync(async () => {
      const x = await a.channels.channel('app', 'presence-x').catch(() => null);
      const p = await a.channels.channel('app', 'public').catch(() => null);
      return x?.subscriptionCount === 2 && x.userCount === 2 && p?.subscriptionCount === 1;
    }, 15_000);
    expect(await b.channels.members('app', 'presence-x')).toEqual(
      new Map([
        ['ann', '{"n":1}'],
        ['bob', '{"n":2}'],
      ]),
    );
    // b saw the last event of its cache channel go by and wrote it back: a new subscriber gets it, not a miss.
    await untilAsync(async () => (await a.channels.channel('app', 'cache-status')).subscriptionCount === 1, 5_000);
    const late = await a.channels.subscribe('app', 'cache-status', { socketId: '1.9', userId: null, userInfo: null }, 100);
    expect(late).toEqual({ ok: true, members: null, cached: { event: 'status', channel: 'cache-status', data: '"up"' } });
    await a.channels.unsubscribe('app', 'cache-status', '1.9');
    // Nobody left or joined: no member_added, no channel_occupied.
    expect(seen).toEqual([]);
    expect(a.delivery.got.size).toBe(0);
    // And the cluster works as before: bob leaving is told to ann.
    await b.channels.unsubscribe('app', 'presence-x', '2.2');
    await until('bob removed on a', () => a.delivery.got.has('1.1'), 5_000);
    expect(a.delivery.got.get('1.1')).toEqual([
      { event: 'pusher_internal:member_removed', channel: 'presence-x', data: '{"user_id":"bob"}' },
    ]);
  }, 40_000);

  it('a node cut off past its node key’s life is reaped, and when it is back it says its members joined again', async () => {
    const prefix = `cut${++prefixes}:`;
    const a = await node(prefix, `a${prefixes}`);
    const link = cleanup.add(await TcpForwarder.start(redis.port), (f) => f.stop());
    const b = await node(prefix, `b${prefixes}`, `redis://127.0.0.1:${link.port}`);
    const seen: string[] = [];
    const record: ChannelLifecycle = {
      channelOccupied: (_app, channel) => seen.push(`occupied ${channel}`),
      channelVacated: (_app, channel) => seen.push(`vacated ${channel}`),
      memberAdded: (_app, channel, user) => seen.push(`added ${channel} ${user}`),
      memberRemoved: (_app, channel, user) => seen.push(`removed ${channel} ${user}`),
    };
    a.channels.listen(record);
    b.channels.listen(record);
    a.delivery.join('app', 'presence-x', '1.1');
    await a.channels.subscribe('app', 'presence-x', { socketId: '1.1', userId: 'ann', userInfo: '{}' }, 100);
    await b.channels.subscribe('app', 'presence-x', { socketId: '2.2', userId: 'bob', userInfo: '{"b":1}' }, 100);
    await b.channels.subscribe('app', 'only-b', { socketId: '2.2', userId: null, userInfo: null }, 100);
    seen.length = 0;
    a.delivery.got.clear();

    // Cut b off from Redis (as a network partition would): a reaps it once its node key expired.
    const open = link.target;
    link.target = 1;
    link.dropAll();
    await until('b reaped', () => seen.includes('removed presence-x bob') && seen.includes('vacated only-b'), 10_000);
    expect(await a.channels.users('app', 'presence-x')).toEqual(['ann']);

    // Back: b writes its share again and, since everyone was told bob left, tells them bob is here.
    link.target = open;
    await until('b announced', () => seen.includes('added presence-x bob') && seen.includes('occupied only-b'), 10_000);
    expect(await a.channels.users('app', 'presence-x')).toEqual(['ann', 'bob']);
    expect(await a.channels.channel('app', 'only-b')).toEqual({ subscriptionCount: 1, userCount: 0 });
    await until('both on ann', () => (a.delivery.got.get('1.1') ?? []).length === 2, 5_000);
    expect(a.delivery.got.get('1.1')!.map((event) => event.event)).toEqual([
      'pusher_internal:member_removed',
      'pusher_internal:member_added',
    ]);
    // Each once, the leave before the return (channels are reaped and announced in no set order).
    expect(seen.slice(0, 2).sort()).toEqual(['removed presence-x bob', 'vacated only-b']);
    expect(seen.slice(2).sort()).toEqual(['added presence-x bob', 'occupied only-b']);
  }, 40_000);
});
