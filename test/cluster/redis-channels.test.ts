/**
 * The channels contract against the Redis engine: two engines (two nodes)
 * on a real redis-server; and a node that dies stops counting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../server/logger/logger.js';
import { RelayStats } from '../../server/metrics/relay-stats.js';
import { RedisEngine } from '../../server/engine/redis/redis-engine.js';
import { RedisServer } from '../helpers/redis-server.js';
import { Cleanup } from '../helpers/relay-fixture.js';
import { channelsContract, RecordingDelivery, type ChannelNode } from './channels-contract.js';

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

async function node(prefix: string, id: string): Promise<ChannelNode & { engine: RedisEngine }> {
  const engine = new RedisEngine({
    url: redis.url,
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
});
