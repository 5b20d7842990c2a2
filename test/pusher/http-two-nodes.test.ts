/**
 * The Pusher HTTP API of two relays sharing a real redis-server: events
 * published on one node reach subscribers and pages on the other, counts
 * and users are the cluster's, terminate_connections reaches every node,
 * and each webhook is sent once for the cluster.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { pusherApp, WEBHOOK_EVENTS, type PusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import { redisPerFile } from '../helpers/redis-per-file.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { RawPusher, disconnect, pusherJs, subscribed, until, waitFor } from './ws-clients.js';

const APP = pusherApp({ id: '5', key: 'cluster-key', secret: 'cluster-secret' });
const cleanup = new Cleanup();
const redis = redisPerFile();
let prefixes = 0;

afterEach(() => cleanup.run());

async function twoNodes(app: PusherApp = APP): Promise<[Relay, Relay]> {
  const brokerPrefix = `pusher${++prefixes}:`;
  const a = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, pusherApps: [app] }), (r) => r.stop());
  const b = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix, pusherApps: [app] }), (r) => r.stop());
  return [a, b];
}

/** A webhook receiver: the events of every POST, in order. */
async function receiver(): Promise<{ url: string; events: { name: string; [k: string]: unknown }[] }> {
  const events: { name: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      events.push(...(JSON.parse(body) as { events: { name: string }[] }).events);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(server, (s) => {
    s.closeAllConnections();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events };
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

  it('events published on one node reach pusher-js subscribers on both; counts and users are the cluster’s', async () => {
    const [a, b] = await twoNodes();
    const onA = cleanup.add(pusherJs(a, APP, { id: 'ann' }), disconnect);
    const onB = cleanup.add(pusherJs(b, APP, { id: 'ben' }), disconnect);
    const alsoAnnOnB = cleanup.add(pusherJs(b, APP, { id: 'ann' }), disconnect);
    const [roomA, roomB] = [await subscribed(onA, 'presence-team'), await subscribed(onB, 'presence-team')];
    await subscribed(alsoAnnOnB, 'presence-team');
    const gotA = waitFor<unknown>('event on A', (done) => roomA.bind('deploy', done));
    const gotB = waitFor<unknown>('event on B', (done) => roomB.bind('deploy', done));

    const answer = await sdk(b).trigger('presence-team', 'deploy', { v: 3 }, { info: 'subscription_count,user_count' });
    expect(await answer.json()).toEqual({ channels: { 'presence-team': { subscription_count: 3, user_count: 2 } } });
    expect([await gotA, await gotB]).toEqual([{ v: 3 }, { v: 3 }]);

    for (const node of [a, b]) {
      const pusher = sdk(node);
      expect(await (await pusher.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json()).toEqual(
        {
          channels: { 'presence-team': { user_count: 2 } },
        },
      );
      const { users } = (await (await pusher.get({ path: '/channels/presence-team/users' })).json()) as { users: { id: string }[] };
      expect(users.map((u) => u.id).sort()).toEqual(['ann', 'ben']);
    }
  });

  it('terminate_connections asked on one node closes the user’s connections on the other', async () => {
    const [a, b] = await twoNodes();
    const carol = cleanup.add(await RawPusher.connect(a, APP.key), (c) => c.close());
    const { auth, user_data } = sdk(a).authenticateUser(carol.socketId, { id: 'carol' });
    carol.send({ event: 'pusher:signin', data: { auth, user_data } });
    await carol.nextEvent('pusher:signin_success');
    expect((await sdk(b).terminateUserConnections('carol')).status).toBe(200);
    expect(await carol.closed()).toBeGreaterThanOrEqual(4000);
  });

  it('sends each webhook once for the cluster', async () => {
    const hooks = await receiver();
    const app = pusherApp({ ...APP, webhooks: [{ url: hooks.url, events: [...WEBHOOK_EVENTS] }] });
    const [a, b] = await twoNodes(app);
    const first = cleanup.add(pusherJs(a, app, { id: 'eve' }), disconnect);
    await subscribed(first, 'presence-ops');
    const second = cleanup.add(pusherJs(b, app, { id: 'eve' }), disconnect);
    await subscribed(second, 'presence-ops');
    await until(() => hooks.events.length >= 2, 10_000);
    await disconnect(first);
    await disconnect(second);
    await until(() => hooks.events.some((e) => e.name === 'channel_vacated'), 10_000);
    // Both nodes' senders idle: anything either emitted has been received.
    await until(() => a.pusherHttp!.webhooks.pending === 0 && b.pusherHttp!.webhooks.pending === 0, 10_000);
    expect(hooks.events.filter((e) => e.name === 'channel_occupied')).toEqual([{ name: 'channel_occupied', channel: 'presence-ops' }]);
    expect(hooks.events.filter((e) => e.name === 'member_added')).toEqual([
      { name: 'member_added', channel: 'presence-ops', user_id: 'eve' },
    ]);
    expect(hooks.events.filter((e) => e.name === 'member_removed')).toEqual([
      { name: 'member_removed', channel: 'presence-ops', user_id: 'eve' },
    ]);
    expect(hooks.events.filter((e) => e.name === 'channel_vacated')).toEqual([{ name: 'channel_vacated', channel: 'presence-ops' }]);
  });
});
