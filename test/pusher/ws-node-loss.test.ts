/**
 * A relay node killed with SIGKILL takes its Pusher connections with it,
 * and the cluster notices: three relay processes from dist/ on one real
 * redis-server, pusher-js presence members on each; node B is killed and
 * the members on A and C get `member_removed` for B's user, the HTTP API
 * (pusher SDK) stops counting it, and the webhook receiver gets
 * member_removed and, for the channel only B had, channel_vacated — each
 * exactly once for the cluster, though A and C both look for dead nodes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type Pusher from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { ChildRelay } from '../fuzz/child-relay.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { ClusterFixture } from '../cluster/cluster-sockets.js';
import { disconnect, pusherJs, serverSdk, subscribed, until, waitFor, type PusherJsClient } from './ws-clients.js';

const APP = pusherApp({ id: '301', key: 'loss-key', secret: 'loss-secret' });
const PREFIX = 'ploss:';
type Hook = { name: string; channel: string; user_id?: string };

let redis: RedisServer;
let hooks: Server;
const received: Hook[] = [];
const cluster = new ClusterFixture();
const clients: PusherJsClient[] = [];

beforeAll(async () => {
  await ensureBuilt();
  hooks = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push(...(JSON.parse(body) as { events: Hook[] }).events);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  redis = await RedisServer.start();
  await cluster.startNodes(3, redis.url, PREFIX, [
    `pusherAppId = ${APP.id}`,
    `pusherKey = ${APP.key}`,
    `pusherSecret = ${APP.secret}`,
    '[pusher:default]',
    `webhookUrl = ${hookUrl}`,
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map(disconnect));
  await cluster.closeAll();
  await redis?.stop();
  hooks?.closeAllConnections();
  await new Promise<void>((resolve) => (hooks ? hooks.close(() => resolve()) : resolve()));
});

function client(node: ChildRelay, id: string): PusherJsClient {
  const one = pusherJs(node, APP, { id, info: { name: id } });
  clients.push(one);
  return one;
}

async function json(answer: Promise<{ json(): Promise<unknown> }>): Promise<unknown> {
  return (await answer).json();
}

const count = (name: string, channel: string, user?: string): number =>
  received.filter((hook) => hook.name === name && hook.channel === channel && hook.user_id === user).length;

describe('Pusher across relay processes: a node killed with SIGKILL', () => {
  it('its members are removed on the others once, the API drops them, member_removed and channel_vacated are sent once', async () => {
    const [a, b, c] = cluster.nodes as [ChildRelay, ChildRelay, ChildRelay];
    const sdk: Pusher = serverSdk(APP, a);
    const ann = client(a, 'ann');
    const cat = client(c, 'cat');
    const annRoom = await subscribed(ann, 'presence-room');
    const catRoom = await subscribed(cat, 'presence-room');
    const removedForAnn: string[] = [];
    const removedForCat: string[] = [];
    annRoom.bind('pusher:member_removed', (m: { id: string }) => removedForAnn.push(m.id));
    catRoom.bind('pusher:member_removed', (m: { id: string }) => removedForCat.push(m.id));
    // cat's member_added reaches ann from another node and may still be on its way: wait for bob's by name.
    const bobJoined = waitFor('bob on a', (done) =>
      annRoom.bind('pusher:member_added', (m: { id: string }) => {
        if (m.id === 'bob') done(m.id);
      }),
    );
    const bob = client(b, 'bob');
    await subscribed(bob, 'presence-room');
    await subscribed(bob, 'only-b');
    expect(await bobJoined).toBe('bob');
    expect(await json(sdk.get({ path: '/channels/presence-room/users' }))).toEqual({
      users: [{ id: 'ann' }, { id: 'bob' }, { id: 'cat' }],
    });
    await until(() => count('channel_occupied', 'only-b') === 1, 10_000);

    await b.kill();
    // pusher-js on the dead node would try it again and again: it is gone for this test.
    await disconnect(bob);
    await until(() => removedForAnn.includes('bob') && removedForCat.includes('bob'), 15_000);
    expect(await json(sdk.get({ path: '/channels/presence-room/users' }))).toEqual({ users: [{ id: 'ann' }, { id: 'cat' }] });
    expect(await json(sdk.get({ path: '/channels/presence-room', params: { info: 'subscription_count,user_count' } }))).toEqual({
      occupied: true,
      subscription_count: 2,
      user_count: 2,
    });
    expect(await json(sdk.get({ path: '/channels/only-b', params: { info: 'subscription_count' } }))).toEqual({
      occupied: false,
      subscription_count: 0,
    });
    await until(() => count('member_removed', 'presence-room', 'bob') >= 1 && count('channel_vacated', 'only-b') >= 1, 10_000);

    // The reap is over once B is out of the nodes with entries; then A and C leave, and their webhooks come after.
    const look = new Redis(redis.url);
    try {
      await until(async () => (await look.smembers(`${PREFIX}pusher-nodes`)).length === 2, 10_000);
    } finally {
      look.disconnect();
    }
    await disconnect(ann);
    await disconnect(cat);
    await until(() => count('channel_vacated', 'presence-room') === 1, 10_000);
    expect(count('member_removed', 'presence-room', 'bob')).toBe(1);
    expect(count('channel_vacated', 'only-b')).toBe(1);
    expect(removedForAnn).toEqual(['bob']);
    expect(removedForCat.filter((id) => id === 'bob')).toEqual(['bob']);
    expect(a.exited).toBeNull();
    expect(c.exited).toBeNull();
  }, 90_000);
});
