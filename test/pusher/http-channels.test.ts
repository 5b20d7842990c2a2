/**
 * The Pusher HTTP API over real subscribers: the `pusher` Node SDK publishes
 * and asks, pusher-js 8 (and a raw protocol client where pusher-js hides
 * the frames) subscribes; webhooks reach a real HTTP server; a v1 backend's
 * feedback with a "channel" reaches a pusher-js subscriber.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { pusherApp, WEBHOOK_EVENTS, type PusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { RawPusher, connected, disconnect, pusherJs, serverSdk, subscribed, until, waitFor, type PusherJsClient } from './ws-clients.js';

const STANDIN = fileURLToPath(new URL('../php/websocket-php-standin.php', import.meta.url));
const V1_SCRIPT = fileURLToPath(new URL('./v1-channel-progress.php', import.meta.url));
const APP = pusherApp({ id: '202', key: 'channels-key', secret: 'channels-secret-for-tests' });
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relay(app: PusherApp = APP): Promise<Relay> {
  return cleanup.add(await startRelay({ pusherApps: [app] }), (r) => r.stop());
}

function client(r: Relay, user?: { id: string; info?: unknown }, app: PusherApp = APP): PusherJsClient {
  return cleanup.add(pusherJs(r, app, user), disconnect);
}

/** The JSON body of an SDK answer (node-fetch's Response). */
async function json(response: Promise<{ json(): Promise<unknown> }>): Promise<unknown> {
  return (await response).json();
}

/** A webhook receiver: every POST's body and headers, in order. */
class Receiver {
  readonly posts: { headers: IncomingMessage['headers']; body: string }[] = [];
  readonly server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      this.posts.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });

  async url(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/pusher/webhook`;
  }

  events(): { name: string; [field: string]: unknown }[] {
    return this.posts.flatMap((post) => (JSON.parse(post.body) as { events: { name: string }[] }).events);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('Pusher HTTP API with subscribers', () => {
  it('trigger reaches every subscriber but the excluded socket_id, and info counts them', async () => {
    const r = await relay();
    const sdk = serverSdk(APP, r);
    const a = client(r);
    const b = client(r);
    const [channelA, channelB] = [await subscribed(a, 'orders'), await subscribed(b, 'orders')];
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    channelA.bind('shipped', (data: unknown) => gotA.push(data));
    channelB.bind('shipped', (data: unknown) => gotB.push(data));

    const answer = await sdk.trigger('orders', 'shipped', { n: 1 }, { socket_id: await connected(a), info: 'subscription_count' });
    expect(await answer.json()).toEqual({ channels: { orders: { subscription_count: 2 } } });
    await sdk.trigger('orders', 'shipped', { n: 2 });
    await until(() => gotA.length === 1 && gotB.length === 2);
    // Events of one publisher to one channel keep their order: A's first is the second event.
    expect(gotA).toEqual([{ n: 2 }]);
    expect(gotB).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('batch_events, channels, channel and users answer from the subscriptions and presence members', async () => {
    const r = await relay();
    const sdk = serverSdk(APP, r);
    const alice1 = client(r, { id: 'alice' });
    const alice2 = client(r, { id: 'alice' });
    const bob = client(r, { id: 'bob' });
    for (const c of [alice1, alice2, bob]) await subscribed(c, 'presence-room');
    const news = await subscribed(bob, 'news');
    const got = waitFor<unknown>('batch event', (done) => news.bind('flash', done));

    const batch = await sdk.triggerBatch([
      { channel: 'news', name: 'flash', data: { text: 'hi' } },
      { channel: 'presence-room', name: 'ping', data: '1', info: 'subscription_count,user_count' },
    ]);
    expect(await batch.json()).toEqual({ batch: [{}, { subscription_count: 3, user_count: 2 }] });
    expect(await got).toEqual({ text: 'hi' });

    expect(await json(sdk.get({ path: '/channels' }))).toEqual({ channels: { news: {}, 'presence-room': {} } });
    expect(await json(sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } }))).toEqual({
      channels: { 'presence-room': { user_count: 2 } },
    });
    expect(await json(sdk.get({ path: '/channels/presence-room', params: { info: 'subscription_count,user_count' } }))).toEqual({
      occupied: true,
      subscription_count: 3,
      user_count: 2,
    });
    const users = (await json(sdk.get({ path: '/channels/presence-room/users' }))) as { users: { id: string }[] };
    expect(users.users.map((u) => u.id).sort()).toEqual(['alice', 'bob']);
  });

  it('terminate_connections closes every connection of the user', async () => {
    const r = await relay();
    const carol = await RawPusher.connect(r, APP.key);
    cleanup.add(carol, (c) => c.close());
    const sdk = serverSdk(APP, r);
    const { auth, user_data } = sdk.authenticateUser(carol.socketId, { id: 'carol' });
    carol.send({ event: 'pusher:signin', data: { auth, user_data } });
    await carol.nextEvent('pusher:signin_success');
    const other = await RawPusher.connect(r, APP.key);
    cleanup.add(other, (c) => c.close());

    expect((await sdk.terminateUserConnections('carol')).status).toBe(200);
    expect(await carol.closed()).toBeGreaterThanOrEqual(4000);
    expect(other.closeCode).toBeNull();
  });

  it('sends the webhooks of what subscribers do, signed so that the SDK accepts them', async () => {
    const receiver = new Receiver();
    cleanup.add(receiver, (x) => x.close());
    const app = pusherApp({ ...APP, webhooks: [{ url: await receiver.url(), events: [...WEBHOOK_EVENTS] }] });
    const r = await relay(app);
    const dave = client(r, { id: 'dave' }, app);
    const room = await subscribed(dave, 'presence-lobby');
    await subscribed(dave, 'cache-prices');
    room.trigger('client-typing', { on: true });
    await until(() => receiver.events().length >= 4, 10_000);
    await disconnect(dave);
    await until(() => receiver.events().some((e) => e.name === 'member_removed'), 10_000);

    const sdk = serverSdk(app, r);
    for (const post of receiver.posts)
      expect(sdk.webhook({ headers: post.headers as Record<string, string>, rawBody: post.body }).isValid()).toBe(true);
    expect(receiver.posts[0]!.headers['x-pusher-key']).toBe(app.key);
    const events = receiver.events();
    expect(events).toEqual(
      expect.arrayContaining([
        { name: 'channel_occupied', channel: 'presence-lobby' },
        { name: 'member_added', channel: 'presence-lobby', user_id: 'dave' },
        { name: 'channel_occupied', channel: 'cache-prices' },
        { name: 'cache_miss', channel: 'cache-prices' },
        expect.objectContaining({
          name: 'client_event',
          channel: 'presence-lobby',
          event: 'client-typing',
          data: '{"on":true}',
          user_id: 'dave',
        }),
        { name: 'member_removed', channel: 'presence-lobby', user_id: 'dave' },
      ]),
    );
    await until(() => receiver.events().filter((e) => e.name === 'channel_vacated').length === 2, 10_000);
  });
});

describe('bridges', () => {
  it('a PHP job’s progress over the v1 protocol, with "channel" and "event", reaches a pusher-js subscriber', async () => {
    const r = await relay();
    const subscriber = client(r);
    const progress = await subscribed(subscriber, 'private-job-42');
    const got: unknown[] = [];
    progress.bind('progress', (data: unknown) => got.push(data));
    const { stdout } = await promisify(execFile)('php', [V1_SCRIPT, STANDIN, String(r.port), 'private-job-42'], { timeout: 15_000 });
    expect(stdout).toBe('sent 3\n');
    await until(() => got.length === 3);
    expect(got).toEqual([1, 2, 3].map((done) => ({ message: `step ${done} of 3`, progress: { done, total: 3 } })));
  });

  it('POST /feedback with "channel" publishes to it; a page may not', async () => {
    const r = await relay();
    const subscriber = client(r);
    const channel = await subscribed(subscriber, 'reports');
    const got = waitFor<unknown>('report', (done) => channel.bind('feedback', done));
    const answer = await fetch(r.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ channel: 'reports', message: 'ready' }) });
    expect([answer.status, await answer.json()]).toEqual([200, { outcome: 'delivered' }]);
    expect(await got).toEqual({ message: 'ready' });

    const bad = await fetch(r.httpUrl('/feedback'), { method: 'POST', body: JSON.stringify({ channel: 'bad name', message: 'x' }) });
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([400, 'BAD_PACKET']);

    const page = cleanup.add(await PageClient.connect(r.url('/web'), { protocols: ['websock.v2'] }), (p) => p.close());
    page.send({ opcode: 'feedback', channel: 'reports', message: 'spam', id: 1 });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', code: 'FORBIDDEN', id: 1 });
  });
});
