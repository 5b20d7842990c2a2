/**
 * Redis restarted empty under two relay processes from dist/, with
 * pusher-js subscribers on both: events published with the pusher SDK
 * reach every subscriber before and after the restart, and once the nodes
 * have written their channels again the HTTP API counts them all,
 * presence lists are whole and a cache channel still answers its last
 * event — without restarting a node or a client.
 */
import type Pusher from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { ChildRelay } from '../fuzz/child-relay.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ClusterFixture } from '../cluster/cluster-sockets.js';
import { disconnect, pusherJs, serverSdk, subscribed, until, waitFor, type PusherJsClient } from './ws-clients.js';

const APP = pusherApp({ id: '302', key: 'restart-key', secret: 'restart-secret' });

let redis: RedisServer;
const cluster = new ClusterFixture();
const clients: PusherJsClient[] = [];

beforeAll(async () => {
  await ensureBuilt();
  redis = await RedisServer.start();
  await cluster.startNodes(2, redis.url, 'prestart:', [
    `pusherAppId = ${APP.id}`,
    `pusherKey = ${APP.key}`,
    `pusherSecret = ${APP.secret}`,
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map(disconnect));
  await cluster.closeAll();
  await redis?.stop();
});

function client(node: ChildRelay, id: string): PusherJsClient {
  const one = pusherJs(node, APP, { id, info: { name: id } });
  clients.push(one);
  return one;
}

async function json(answer: Promise<{ json(): Promise<unknown> }>): Promise<unknown> {
  return (await answer).json();
}

/** Subscribe to `news` and collect the `n` of every `tick` event. */
async function ticks(one: PusherJsClient): Promise<number[]> {
  const got: number[] = [];
  (await subscribed(one, 'news')).bind('tick', (data: { n: number }) => got.push(data.n));
  return got;
}

type Members = { each(f: (m: { id: string }) => void): void };
function ids(channel: unknown): string[] {
  const found: string[] = [];
  (channel as { members: Members }).members.each((m) => found.push(m.id));
  return found.sort();
}

describe('Pusher across relay processes: Redis restarted empty', () => {
  it('events reach subscribers on both nodes before and after; counts and presence are whole again', async () => {
    const [a, b] = cluster.nodes as [ChildRelay, ChildRelay];
    const viaA: Pusher = serverSdk(APP, a);
    const viaB: Pusher = serverSdk(APP, b);
    const ann = client(a, 'ann');
    const bob = client(b, 'bob');
    const annTicks = await ticks(ann);
    const bobTicks = await ticks(bob);
    const annRoom = await subscribed(ann, 'presence-room');
    await subscribed(bob, 'presence-room');
    await viaA.trigger('news', 'tick', { n: 1 });
    await until(() => annTicks.includes(1) && bobTicks.includes(1), 10_000);
    const status: unknown[] = [];
    (await subscribed(bob, 'cache-status')).bind('status', (data: unknown) => status.push(data));
    await viaA.trigger('cache-status', 'status', { s: 'up' });
    await until(() => status.length === 1, 10_000);

    await redis.stop();
    redis = await RedisServer.start(10_000, redis.port);
    // The nodes reconnect by themselves and write their channels again.
    await until(async () => {
      try {
        const answer = (await json(viaB.get({ path: '/channels/presence-room', params: { info: 'subscription_count,user_count' } }))) as {
          user_count?: number;
        };
        return answer.user_count === 2;
      } catch {
        return false;
      }
    }, 30_000);

    expect(await json(viaB.get({ path: '/channels/presence-room/users' }))).toEqual({ users: [{ id: 'ann' }, { id: 'bob' }] });
    expect(await json(viaA.get({ path: '/channels', params: { info: 'subscription_count' } }))).toEqual({
      channels: { 'cache-status': { subscription_count: 1 }, news: { subscription_count: 2 }, 'presence-room': { subscription_count: 2 } },
    });
    const answer = await viaB.trigger('news', 'tick', { n: 2 }, { info: 'subscription_count' });
    expect(await answer.json()).toEqual({ channels: { news: { subscription_count: 2 } } });
    await until(() => annTicks.includes(2) && bobTicks.includes(2), 10_000);

    // A member joining now sees everyone, and everyone sees it.
    const added: string[] = [];
    annRoom.bind('pusher:member_added', (m: { id: string }) => added.push(m.id));
    const carol = client(a, 'carol');
    expect(ids(await subscribed(carol, 'presence-room'))).toEqual(['ann', 'bob', 'carol']);
    await until(() => added.includes('carol'), 10_000);
    expect(await json(viaA.get({ path: '/channels/presence-room', params: { info: 'user_count' } }))).toEqual({
      occupied: true,
      user_count: 3,
    });
    // The last event of the cache channel survived too: B had seen it, and wrote it back.
    const late = client(a, 'dan');
    const lateStatus = waitFor<unknown>('the cached event', (done) => late.subscribe('cache-status').bind('status', done), 10_000);
    expect(await lateStatus).toEqual({ s: 'up' });
    expect(annTicks).toEqual([1, 2]);
    expect(bobTicks).toEqual([1, 2]);
  }, 90_000);
});
