/**
 * Pusher protocol 7 at /app/{key}, driven by pusher-js 8 (its Node build)
 * against a live relay, with channel and user authorisation signed by the
 * `pusher` server SDK, and by a raw client for the frames pusher-js hides.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load-config.js';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';
import { TcpForwarder } from './tcp-forwarder.js';
import { RawPusher, connected, disconnect, pusherJs, serverSdk, subscribed, until, waitFor, type PusherJsClient } from './ws-clients.js';

const APP = pusherApp({ id: '101', key: 'ws-key', secret: 'ws-secret-for-tests' });
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relay(overrides: Parameters<typeof startRelay>[0] = {}): Promise<Relay> {
  return cleanup.add(await startRelay({ pusherApps: [APP], ...overrides }), (r) => r.stop());
}

function client(r: Relay, user?: { id: string; info?: unknown }): PusherJsClient {
  return cleanup.add(pusherJs(r, APP, user), disconnect);
}

function raw(r: Relay): Promise<RawPusher & { socketId: string }> {
  return RawPusher.connect(r, APP.key).then((c) => cleanup.add(c, (x) => x.close()));
}

function publish(r: Relay, channel: string, event: string, data: unknown, except: string | null = null): Promise<void> {
  return r.engine.channels.publish(APP.id, { event, channel, data: JSON.stringify(data) }, except);
}

describe('Pusher protocol with pusher-js', () => {
  it('connects with a socket_id, subscribes to a public channel and receives its events', async () => {
    const r = await relay();
    const pusher = client(r);
    expect(await connected(pusher)).toMatch(/^\d+\.\d+$/);
    const channel = await subscribed(pusher, 'news');
    const got = waitFor<unknown>('event', (done) => channel.bind('headline', done));
    await publish(r, 'news', 'headline', { title: 'hello' });
    expect(await got).toEqual({ title: 'hello' });
    expect(await r.engine.channels.channel(APP.id, 'news')).toEqual({ subscriptionCount: 1, userCount: 0 });
  });

  it('connection_established carries data as a JSON string with socket_id and activity_timeout', async () => {
    const r = await relay();
    const c = new RawPusher(RawPusher.url(r, APP.key));
    cleanup.add(c, (x) => x.close());
    const first = await c.next();
    expect(first.event).toBe('pusher:connection_established');
    expect(typeof first.data).toBe('string');
    expect(JSON.parse(first.data as string)).toEqual({ socket_id: expect.stringMatching(/^\d+\.\d+$/), activity_timeout: 120 });
    c.send({ event: 'pusher:ping', data: {} });
    expect(await c.next()).toEqual({ event: 'pusher:pong', data: {} });
  });

  it('excludes the socket_id given on publish', async () => {
    const r = await relay();
    const a = await raw(r);
    const b = await raw(r);
    for (const c of [a, b]) {
      c.send({ event: 'pusher:subscribe', data: { channel: 'room' } });
      await c.nextEvent('pusher_internal:subscription_succeeded');
    }
    await publish(r, 'room', 'one', 1, a.socketId);
    await publish(r, 'room', 'two', 2);
    expect((await a.next()).event).toBe('two');
    expect((await b.next()).event).toBe('one');
  });

  it('private channels need the app’s signature; a bad one is a subscription_error', async () => {
    const r = await relay();
    const pusher = client(r);
    await connected(pusher);
    const channel = await subscribed(pusher, 'private-orders');
    const got = waitFor<unknown>('event', (done) => channel.bind('created', done));
    await publish(r, 'private-orders', 'created', { id: 7 });
    expect(await got).toEqual({ id: 7 });

    const c = await raw(r);
    const forged = serverSdk(pusherApp({ ...APP, secret: 'not-the-secret' })).authorizeChannel(c.socketId, 'private-orders');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-orders', auth: forged.auth } });
    expect(await c.next()).toMatchObject({ event: 'pusher:subscription_error', channel: 'private-orders', data: { status: 401 } });
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-orders' } });
    expect(await c.next()).toMatchObject({ event: 'pusher:subscription_error', data: { status: 401 } });
    // Signed for another socket: refused too.
    const other = serverSdk(APP).authorizeChannel('1.1', 'private-orders');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-orders', auth: other.auth } });
    expect(await c.next()).toMatchObject({ event: 'pusher:subscription_error' });
    expect(await r.engine.channels.channel(APP.id, 'private-orders')).toEqual({ subscriptionCount: 1, userCount: 0 });
  });

  it('presence: members by user_id; member_added on a user’s first connection only, member_removed on its last, never to the one that caused it', async () => {
    const r = await relay();
    const alice1 = client(r, { id: 'alice', info: { name: 'Alice' } });
    const ch1 = await subscribed(alice1, 'presence-room');
    const added: string[] = [];
    const removed: string[] = [];
    ch1.bind('pusher:member_added', (m: { id: string }) => added.push(m.id));
    ch1.bind('pusher:member_removed', (m: { id: string }) => removed.push(m.id));

    const bob = client(r, { id: 'bob', info: { name: 'Bob' } });
    const bobAdded = waitFor<{ id: string; info: unknown }>('bob added', (done) => ch1.bind('pusher:member_added', done));
    const ch2 = (await subscribed(bob, 'presence-room')) as unknown as {
      members: { count: number; me: { id: string }; each(f: (m: { id: string; info: unknown }) => void): void };
    };
    expect(await bobAdded).toEqual({ id: 'bob', info: { name: 'Bob' } });
    const seen: Record<string, unknown> = {};
    ch2.members.each((m) => (seen[m.id] = m.info));
    expect(seen).toEqual({ alice: { name: 'Alice' }, bob: { name: 'Bob' } });
    expect(ch2.members.me.id).toBe('bob');

    // Alice's second connection: no member_added for anyone; the raw socket proves it gets none for itself either.
    const alice2 = await raw(r);
    const auth = serverSdk(APP).authorizeChannel(alice2.socketId, 'presence-room', { user_id: 'alice', user_info: { name: 'Alice' } });
    alice2.send({ event: 'pusher:subscribe', data: { channel: 'presence-room', auth: auth.auth, channel_data: auth.channel_data } });
    const ok = await alice2.nextEvent('pusher_internal:subscription_succeeded');
    expect(JSON.parse(ok.data as string)).toEqual({
      presence: { ids: ['alice', 'bob'], hash: { alice: { name: 'Alice' }, bob: { name: 'Bob' } }, count: 2 },
    });
    expect(await r.engine.channels.channel(APP.id, 'presence-room')).toEqual({ subscriptionCount: 3, userCount: 2 });
    expect(await r.engine.channels.users(APP.id, 'presence-room')).toEqual(['alice', 'bob']);

    // Bob leaves: Alice's connections hear it once each.
    const bobRemoved = waitFor<{ id: string }>('bob removed', (done) => ch1.bind('pusher:member_removed', done));
    await disconnect(bob);
    expect((await bobRemoved).id).toBe('bob');
    expect(await alice2.nextEvent('pusher_internal:member_removed')).toMatchObject({ data: JSON.stringify({ user_id: 'bob' }) });

    // One of Alice's two connections leaves: she is still a member, nobody is told.
    await alice2.close();
    await until(async () => (await r.engine.channels.channel(APP.id, 'presence-room')).subscriptionCount === 1);
    expect(await r.engine.channels.users(APP.id, 'presence-room')).toEqual(['alice']);
    expect(added).toEqual(['bob']);
    expect(removed).toEqual(['bob']);
  });

  it('client events reach the other members, never the sender; user_id is added on presence; refused on public channels', async () => {
    const r = await relay();
    const a = client(r, { id: 'ann' });
    const b = client(r, { id: 'ben' });
    const [ca, cb] = [await subscribed(a, 'presence-chat'), await subscribed(b, 'presence-chat')];
    const echoed: unknown[] = [];
    ca.bind('client-typing', (data: unknown) => echoed.push(data));
    const got = waitFor<[unknown, { user_id?: string }]>('client event', (done) =>
      cb.bind('client-typing', (d: unknown, meta: { user_id?: string }) => done([d, meta])),
    );
    expect(ca.trigger('client-typing', { typing: true })).toBe(true);
    const [data, meta] = await got;
    expect(data).toEqual({ typing: true });
    expect(meta.user_id).toBe('ann');

    // A marker sent after proves the sender's copy would have arrived by now.
    const marker = waitFor('marker', (done) => ca.bind('marker', done));
    await publish(r, 'presence-chat', 'marker', {});
    await marker;
    expect(echoed).toEqual([]);

    const c = await raw(r);
    c.send({ event: 'pusher:subscribe', data: { channel: 'public-room' } });
    await c.nextEvent('pusher_internal:subscription_succeeded');
    c.send({ event: 'client-hi', channel: 'public-room', data: {} });
    expect(await c.next()).toMatchObject({ event: 'pusher:error', data: { code: 4300 } });
    c.send({ event: 'client-hi', channel: 'private-not-mine', data: {} });
    expect(await c.next()).toMatchObject({ event: 'pusher:error', data: { code: 4300 } });
  });

  it('client events over the rate are refused with 4301', async () => {
    const limited = pusherApp({ id: '102', key: 'rate-key', secret: 's', limits: { clientEventRate: 2 } });
    const r = cleanup.add(await startRelay({ pusherApps: [limited] }), (x) => x.stop());
    const c = cleanup.add(await RawPusher.connect(r, limited.key), (x) => x.close());
    const auth = serverSdk(limited).authorizeChannel(c.socketId, 'private-x');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-x', auth: auth.auth } });
    await c.nextEvent('pusher_internal:subscription_succeeded');
    for (let i = 0; i < 3; i++) c.send({ event: 'client-x', channel: 'private-x', data: { i } });
    expect(await c.next()).toMatchObject({ event: 'pusher:error', data: { code: 4301 } });
  });

  it('cache channels send the last event on subscribe, or pusher:cache_miss', async () => {
    const r = await relay();
    const first = await raw(r);
    first.send({ event: 'pusher:subscribe', data: { channel: 'cache-progress' } });
    await first.nextEvent('pusher_internal:subscription_succeeded');
    expect(await first.next()).toMatchObject({ event: 'pusher:cache_miss', channel: 'cache-progress' });
    await publish(r, 'cache-progress', 'progress', { percent: 10 });
    await publish(r, 'cache-progress', 'progress', { percent: 60 });

    const pusher = client(r);
    const channel = pusher.subscribe('cache-progress');
    const got = waitFor<unknown>('cached event', (done) => channel.bind('progress', done));
    expect(await got).toEqual({ percent: 60 });
  });

  it('encrypted channels subscribe as private ones (the auth answer’s shared_secret is the app’s business)', async () => {
    const r = await relay();
    const key = Buffer.alloc(32, 7).toString('base64');
    const sdk = serverSdk(APP, r, key);
    // pusher-js's Node build carries tweetnacl: encrypted channels work as in the browser build with-encryption.
    const pusher = cleanup.add(pusherJs(r, APP, { id: 'u' }, { sdk }), disconnect);
    await subscribed(pusher, 'private-encrypted-vault');
    expect(await r.engine.channels.channel(APP.id, 'private-encrypted-vault')).toEqual({ subscriptionCount: 1, userCount: 0 });
    const c = await raw(r);
    const auth = sdk.authorizeChannel(c.socketId, 'private-encrypted-vault');
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-encrypted-vault', auth: auth.auth } });
    await c.nextEvent('pusher_internal:subscription_succeeded');
    c.send({ event: 'client-x', channel: 'private-encrypted-vault', data: {} });
    expect(await c.next()).toMatchObject({ event: 'pusher:error', data: { code: 4300 } });
  });

  it('pusher:signin subscribes the user to #server-to-user-{id}; terminateUser closes its connections', async () => {
    const r = await relay();
    const pusher = client(r, { id: 'carol' });
    await connected(pusher);
    pusher.signin();
    await (pusher.user as unknown as { signinDonePromise: Promise<void> }).signinDonePromise;
    await until(async () => (await r.engine.channels.channel(APP.id, '#server-to-user-carol')).subscriptionCount === 1);
    const got = waitFor<unknown>('user event', (done) => pusher.user.bind('notice', done));
    await publish(r, '#server-to-user-carol', 'notice', { text: 'hi' });
    expect(await got).toEqual({ text: 'hi' });

    const c = await raw(r);
    c.send({ event: 'pusher:signin', data: { auth: `${APP.key}:${'0'.repeat(64)}`, user_data: '{"id":"carol"}' } });
    expect(await c.next()).toMatchObject({ event: 'pusher:error', data: { code: 4009 } });
    // Another connection cannot listen to Carol's channel without signing in as her.
    c.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-carol' } });
    expect(await c.next()).toMatchObject({ event: 'pusher:subscription_error', data: { status: 403 } });

    const closed = waitFor<{ code: number }>('closed', (done) =>
      pusher.connection.bind('state_change', (s: { current: string }) =>
        s.current === 'unavailable' || s.current === 'failed' || s.current === 'disconnected' ? done({ code: 0 }) : undefined,
      ),
    );
    await r.engine.channels.terminateUser(APP.id, 'carol');
    await closed;
  });
});

describe('Pusher connection refusals and closes', () => {
  it('unknown app 4001, no protocol 4008, unsupported protocol 4007: told, then closed with the code', async () => {
    const r = await relay();
    for (const [key, query, code] of [
      ['nope', 'protocol=7', 4001],
      [APP.key, '', 4008],
      [APP.key, 'protocol=99', 4007],
    ] as const) {
      const c = cleanup.add(new RawPusher(RawPusher.url(r, key, query)), (x) => x.close());
      expect(await c.next()).toMatchObject({ event: 'pusher:error', data: { code } });
      expect(await c.closed()).toBe(code);
    }
  });

  it('/metrics counts Pusher connections per app', async () => {
    const r = await relay();
    await raw(r);
    await raw(r);
    const text = await (await fetch(r.httpUrl('/metrics'))).text();
    expect(text).toContain('websock_pusher_connections{app="default"} 2');
  });

  it('over capacity (the app’s maxConnections): told 4100, then closed with it', async () => {
    const small = pusherApp({ id: '103', key: 'small-key', secret: 's', limits: { maxConnections: 1 } });
    const r = cleanup.add(await startRelay({ pusherApps: [small] }), (x) => x.stop());
    const first = cleanup.add(await RawPusher.connect(r, small.key), (x) => x.close());
    const second = cleanup.add(new RawPusher(RawPusher.url(r, small.key)), (x) => x.close());
    expect(await second.next()).toMatchObject({ event: 'pusher:error', data: { code: 4100 } });
    expect(await second.closed()).toBe(4100);
    expect(first.closeCode).toBeNull();
  });

  it('graceful shutdown closes with 4200 and pusher-js reconnects at once (to the next relay behind the balancer)', async () => {
    // A deploy: a balancer in front, the new relay up before the old one stops.
    const r1 = await startRelay({ pusherApps: [APP] });
    const r2 = await relay();
    const balancer = cleanup.add(await TcpForwarder.start(r1.port), (f) => f.stop());
    const pusher = cleanup.add(pusherJs({ port: balancer.port } as Relay, APP), disconnect);
    const firstId = await connected(pusher);
    await subscribed(pusher, 'news');
    const raw1 = await RawPusher.connect(r1, APP.key);
    const states: string[] = [];
    pusher.connection.bind('state_change', (s: { current: string }) => states.push(s.current));
    const back = waitFor<string>('reconnected', (done) => pusher.connection.bind('connected', () => done(pusher.connection.socket_id)));
    balancer.target = r2.port;
    await r1.stop();
    expect(raw1.closeCode ?? (await raw1.closed())).toBe(4200);
    expect(await back).not.toBe(firstId);
    // Straight back (4200: reconnect now), not through 'unavailable' and a back-off.
    expect(states).toEqual(['connecting', 'connected']);
    // pusher-js subscribes again by itself.
    await until(async () => (await r2.engine.channels.channel(APP.id, 'news')).subscriptionCount === 1);
  });

  it('over the relay’s maxClients: 4100 too (pusher-js backs off and retries on 41xx), not the v1 close packet', async () => {
    const r = cleanup.add(await startRelay({ pusherApps: [APP], maxClients: 1 }), (x) => x.stop());
    const first = cleanup.add(await RawPusher.connect(r, APP.key), (x) => x.close());
    const second = cleanup.add(new RawPusher(RawPusher.url(r, APP.key)), (x) => x.close());
    expect(await second.next()).toMatchObject({ event: 'pusher:error', data: { code: 4100 } });
    expect(await second.closed()).toBe(4100);
    expect(first.closeCode).toBeNull();
  });

  it('over maxMessageRate a connection is read later, nothing is dropped', async () => {
    const r = cleanup.add(await startRelay({ pusherApps: [APP], maxMessageRate: 5 }), (x) => x.stop());
    const c = cleanup.add(await RawPusher.connect(r, APP.key), (x) => x.close());
    for (let i = 0; i < 12; i++) c.send({ event: 'pusher:ping', data: {} });
    for (let i = 0; i < 12; i++) expect(await c.next()).toEqual({ event: 'pusher:pong', data: {} });
    expect(r.stats.throttled).toBeGreaterThan(0);
  });

  it('a client that does not answer pusher:ping is closed with 4201', async () => {
    const r = cleanup.add(await startRelay({ pusherApps: [APP], pusherActivityTimeoutS: 0.2, pusherPongTimeoutMs: 200 }), (x) => x.stop());
    const c = cleanup.add(await RawPusher.connect(r, APP.key), (x) => x.close());
    expect(await c.next()).toEqual({ event: 'pusher:ping', data: {} });
    expect(await c.nextEvent('pusher:error')).toMatchObject({ data: { code: 4201 } });
    expect(await c.closed()).toBe(4201);
  });

  it('pusherActivityTimeout and pusherPongTimeout in websock.ini set activity_timeout, the ping and the 4201', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'websock-pusher-ini-'));
    cleanup.add(dir, (path) => rmSync(path, { recursive: true, force: true }));
    const iniFile = join(dir, 'websock.ini');
    const lines = ['adress = ws://127.0.0.1:0', 'demo = false', 'pusherAppId = 7', 'pusherKey = ini-key', 'pusherSecret = ini-secret'];
    writeFileSync(iniFile, [...lines, 'pusherActivityTimeout = 1', 'pusherPongTimeout = 0.3', ''].join('\n'));
    const config = loadConfig({ iniFile });
    expect(config).toMatchObject({ pusherActivityTimeoutS: 1, pusherPongTimeoutMs: 300 });
    const r = cleanup.add(await startRelay(config), (x) => x.stop());
    const c = cleanup.add(new RawPusher(RawPusher.url(r, 'ini-key')), (x) => x.close());
    const established = await c.next();
    expect(JSON.parse(established.data as string)).toMatchObject({ activity_timeout: 1 });
    expect(await c.next(3_000)).toEqual({ event: 'pusher:ping', data: {} });
    expect(await c.nextEvent('pusher:error')).toMatchObject({ data: { code: 4201 } });
    expect(await c.closed()).toBe(4201);
  });

  it('hostile frames get a pusher:error and lose nothing', async () => {
    const r = await relay();
    const c = await raw(r);
    const bad = [
      'not json',
      '[]',
      '{"event":5}',
      JSON.stringify({ event: 'x'.repeat(300) }),
      JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'a b' } }),
      JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'c'.repeat(201) } }),
      JSON.stringify({ event: 'pusher:subscribe', data: 'not-json{' }),
      JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-x', auth: 'k:' + 'a'.repeat(600) } }),
      JSON.stringify({ event: 'pusher:signin', data: { auth: 1 } }),
      JSON.stringify({ event: 'unknown:event' }),
    ];
    for (const frame of bad) {
      c.send(frame);
      expect((await c.next()).event).toBe('pusher:error');
    }
    c.send({ event: 'pusher:subscribe', data: { channel: 'still-fine' } });
    expect(await c.next()).toMatchObject({ event: 'pusher_internal:subscription_succeeded', channel: 'still-fine' });
  });
});
