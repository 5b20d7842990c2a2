/**
 * The applications' hooks on Pusher connections (`/app/{key}`), against a
 * live relay with pusher-js 8 (its Node build) and raw clients:
 * preConnect refuses in Pusher's words (a pusher:error with the code, then
 * the close) or admits and attaches conn.data; postConnect, preDisconnect
 * and postDisconnect run as on /web; preSend sees channel events as the
 * Pusher frame text, and not the protocol's own member_added/removed.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import cookieAuth, { NOT_SIGNED_IN, signSessionCookie } from '../../server/apps/cookie-auth.js';
import { useApp } from '../../server/apps/install-app.js';
import { APP_FAILED, REFUSED_BY_APP } from '../../server/hooks/hook-registry.js';
import type { Hooks } from '../../server/hooks/hook-types.js';
import { pusherApp } from '../../server/pusher/apps/pusher-app.js';
import type { Relay } from '../../server/relay.js';
import type { Connection } from '../../server/transport/connection.js';
import { MemoryLogger } from '../apps/memory-logger.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';
import { RawPusher, connected, disconnect, pusherJs, serverSdk, subscribed, waitFor, type PusherJsClient } from './ws-clients.js';

const APP = pusherApp({ id: '201', key: 'hooks-key', secret: 'hooks-secret-for-tests' });
const SECRET = 'the-web-application-signs-cookies-with-this';
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relay(overrides: Parameters<typeof startRelay>[0] = {}, logger = new MemoryLogger()): Promise<Relay> {
  return cleanup.add(await startRelay({ pusherApps: [APP], ...overrides }, { logger }), (r) => r.stop());
}

async function relayWith(
  hooks: Hooks<never>,
  overrides: Parameters<typeof startRelay>[0] = {},
  logger = new MemoryLogger(),
): Promise<Relay> {
  const r = await relay(overrides, logger);
  r.hooks.add(hooks, { name: 'test-app', scope: null });
  return r;
}

function client(r: Relay): PusherJsClient {
  return cleanup.add(pusherJs(r, APP), disconnect);
}

function raw(r: Relay, headers: Record<string, string> = {}): Promise<RawPusher & { socketId: string }> {
  return RawPusher.connect(r, APP.key, { headers }).then((c) => cleanup.add(c, (x) => x.close()));
}

/** A client that is refused: it is not connected, so it is read frame by frame until the close. */
function knocking(r: Relay, headers: Record<string, string> = {}): RawPusher {
  return cleanup.add(new RawPusher(RawPusher.url(r, APP.key), { headers }), (x) => x.close());
}

function publish(r: Relay, channel: string, event: string, data: unknown): Promise<void> {
  return r.engine.channels.publish(APP.id, { event, channel, data: JSON.stringify(data) }, null);
}

/**
 * How pusher-js's attempt ends: `connected`, or `disconnected` with the
 * codes of the errors it reported. pusher-js only reaches `disconnected` by
 * itself for a refusal (4001–4099, 4300+): it has then cleared its retry
 * timer, so it will not connect again. A back-off (41xx) or retry (42xx)
 * keeps it `connecting` and reconnects instead.
 */
function attempt(pusher: PusherJsClient): Promise<{ state: string; codes: number[] }> {
  const codes: number[] = [];
  pusher.connection.bind('error', (event: { error?: { data?: { code?: unknown } } }) => {
    const code = event.error?.data?.code;
    if (typeof code === 'number') codes.push(code);
  });
  return waitFor('pusher-js to connect or give up', (done) =>
    pusher.connection.bind('state_change', ({ current }: { current: string }) => {
      if (current === 'connected' || current === 'disconnected' || current === 'failed') done({ state: current, codes });
    }),
  );
}

/** A promise and the function that resolves it: for hooks that wait for the test. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const inAnHour = (): number => Date.now() / 1000 + 3600;

describe('preConnect on Pusher connections', () => {
  it('a session-cookie rule refuses pusher-js without the cookie with its code, and pusher-js gives up instead of reconnecting', async () => {
    const r = await relay();
    let asked = 0;
    r.hooks.add({ preConnect: () => void asked++ }, { name: 'counter', scope: null });
    await useApp(r, cookieAuth, { name: 'auth', settings: { secret: SECRET } });

    const pusher = client(r);
    expect(await attempt(pusher)).toEqual({ state: 'disconnected', codes: [NOT_SIGNED_IN] });
    expect(asked).toBe(1);
    expect(r.pusherWs!.size).toBe(0);

    // What pusher-js read: the pusher:error with the hook's code and reason, then the close with the same code.
    const refused = knocking(r);
    expect(await refused.next()).toEqual({ event: 'pusher:error', data: { code: NOT_SIGNED_IN, message: 'not signed in' } });
    expect(await refused.closed()).toBe(NOT_SIGNED_IN);
  });

  it('admits a page that has the cookie; the data its preConnect attached is what postConnect and preSend see', async () => {
    const r = await relay();
    await useApp(r, cookieAuth, { name: 'auth', settings: { secret: SECRET } });
    const connectedConns: Connection[] = [];
    const sentTo: unknown[] = [];
    const seen = waitFor<void>('postConnect', (done) =>
      r.hooks.add(
        {
          postConnect: (conn: Connection) => {
            connectedConns.push(conn);
            done();
          },
          preSend: (to: Connection) => void sentTo.push(to.data),
        },
        { name: 'observer', scope: null },
      ),
    );
    const cookie = `theme=dark; websock_session=${signSessionCookie('alice', SECRET, inAnHour())}`;
    const page = await raw(r, { cookie });
    await seen;
    const conn = connectedConns[0]!;
    expect(conn.data).toEqual({ user: 'alice' });
    expect({ resource: conn.resource, ip: conn.ip, kind: conn.kind, id: typeof conn.id }).toEqual({
      resource: `/app/${APP.key}`,
      ip: '127.0.0.1',
      kind: 'browser',
      id: 'number',
    });
    expect(page.socketId).toMatch(new RegExp(`\\.${conn.id}$`));

    page.send({ event: 'pusher:subscribe', data: { channel: 'news' } });
    await page.nextEvent('pusher_internal:subscription_succeeded');
    await publish(r, 'news', 'headline', { title: 'hello' });
    expect(await page.next()).toMatchObject({ event: 'headline' });
    expect(sentTo).toEqual([{ user: 'alice' }]);
  });

  it('false refuses with 4009 and the relay’s reason; pusher-js does not reconnect', async () => {
    let asked = 0;
    const r = await relayWith({ preConnect: () => (asked++, false) });
    expect(await attempt(client(r))).toEqual({ state: 'disconnected', codes: [4009] });
    expect(asked).toBe(1);
    const refused = knocking(r);
    expect(await refused.next()).toEqual({ event: 'pusher:error', data: { code: 4009, message: REFUSED_BY_APP } });
    expect(await refused.closed()).toBe(4009);
  });

  it('a preConnect that throws refuses with 4100 (back off, then retry), is logged with the connection, and the relay goes on', async () => {
    const logger = new MemoryLogger();
    const r = await relayWith(
      {
        preConnect: (_conn: Connection, request: IncomingMessage) => {
          if (request.headers['x-crash'] !== undefined) throw new Error('boom');
        },
      },
      {},
      logger,
    );
    const refused = knocking(r, { 'x-crash': '1' });
    expect(await refused.next()).toEqual({ event: 'pusher:error', data: { code: 4100, message: APP_FAILED } });
    expect(await refused.closed()).toBe(4100);
    const failure = logger.find('hook failed')[0];
    expect(failure?.fields).toMatchObject({
      hook: 'preConnect',
      app: 'test-app',
      reason: 'boom',
      path: `/app/${APP.key}`,
      ip: '127.0.0.1',
    });

    const pusher = client(r);
    await connected(pusher);
    const channel = await subscribed(pusher, 'news');
    const got = waitFor<unknown>('event', (done) => channel.bind('headline', done));
    await publish(r, 'news', 'headline', { still: 'serving' });
    expect(await got).toEqual({ still: 'serving' });
  });

  it('a preConnect that does not answer within handshakeTimeout refuses with 4100 too', async () => {
    const logger = new MemoryLogger();
    const r = await relayWith({ preConnect: () => new Promise<never>(() => {}) }, { handshakeTimeoutMs: 150 }, logger);
    const refused = knocking(r);
    expect(await refused.next()).toEqual({ event: 'pusher:error', data: { code: 4100, message: APP_FAILED } });
    expect(await refused.closed()).toBe(4100);
    expect(logger.find('hook did not settle in time')[0]?.fields).toMatchObject({ hook: 'preConnect', path: `/app/${APP.key}` });
  });

  it('what the client sends while preConnect decides waits, and is answered after connection_established', async () => {
    const asked = deferred();
    const decide = deferred();
    const r = await relayWith({ preConnect: () => (asked.resolve(), decide.promise) });
    const c = knocking(r);
    const open = new Promise<void>((resolve) => c.ws.once('open', () => resolve()));
    await Promise.all([asked.promise, open]);
    c.send({ event: 'pusher:ping', data: {} });
    decide.resolve();
    expect((await c.next()).event).toBe('pusher:connection_established');
    expect(await c.next()).toEqual({ event: 'pusher:pong', data: {} });
  });

  it('a stop while preConnect decides ends the waiting client', async () => {
    const asked = deferred();
    const r = await relayWith({ preConnect: () => (asked.resolve(), new Promise<never>(() => {})) });
    const c = knocking(r);
    await asked.promise;
    await r.stop();
    expect(await c.closed()).toBeGreaterThan(0);
    expect(c.frames).toEqual([]);
  });
});

describe('preDisconnect and postDisconnect on Pusher connections', () => {
  it('run once each when pusher-js disconnects; postDisconnect after the connection left its channels', async () => {
    const calls: { hook: string; id: number; code: number }[] = [];
    let subscribersAtPost: Promise<{ subscriptionCount: number }> | null = null;
    const post = deferred();
    const r: Relay = await relayWith({
      preDisconnect: (conn: Connection, code: number) => void calls.push({ hook: 'pre', id: conn.id, code }),
      postDisconnect: (conn: Connection, code: number) => {
        calls.push({ hook: 'post', id: conn.id, code });
        subscribersAtPost = r.engine.channels.channel(APP.id, 'news');
        post.resolve();
      },
    });
    const pusher = client(r);
    const socketId = await connected(pusher);
    await subscribed(pusher, 'news');
    await disconnect(pusher);
    await post.promise;
    // Every hook has settled once the relay has stopped: a second call would be in the list by now.
    await r.stop();
    const id = Number(socketId.split('.')[1]);
    expect(calls).toEqual([
      { hook: 'pre', id, code: 1000 },
      { hook: 'post', id, code: 1000 },
    ]);
    expect(await subscribersAtPost).toMatchObject({ subscriptionCount: 0 });
  });

  it('a close by the relay (terminate_connections) is given with the code it sent; preDisconnect cannot keep it open', async () => {
    const codes: number[] = [];
    const post = deferred();
    const r = await relayWith({
      preDisconnect: (_conn: Connection, code: number) => (codes.push(code), false),
      postDisconnect: (_conn: Connection, code: number) => (codes.push(code), post.resolve()),
    });
    const c = await raw(r);
    const signed = serverSdk(APP).authenticateUser(c.socketId, { id: 'carol' });
    c.send({ event: 'pusher:signin', data: { auth: signed.auth, user_data: signed.user_data } });
    await c.nextEvent('pusher:signin_success');
    await r.engine.channels.terminateUser(APP.id, 'carol');
    expect(await c.closed()).toBe(4009);
    await post.promise;
    expect(codes).toEqual([4009, 4009]);
  });
});

describe('preSend on Pusher deliveries', () => {
  it('sees each channel event as the Pusher frame text; a replacement is sent instead, false drops it', async () => {
    const seen: string[] = [];
    const written: string[] = [];
    const r = await relayWith({
      preSend: (_to: Connection, message: string) => {
        seen.push(message);
        if (message.includes('drop me')) return false;
        return message.includes('secret') ? message.replace('secret', '******') : undefined;
      },
      postSend: (_to: Connection, message: string) => void written.push(message),
    });
    const pusher = client(r);
    const channel = await subscribed(pusher, 'news');
    const got: unknown[] = [];
    const marker = waitFor<void>('marker', (done) =>
      channel.bind('headline', (data: { title: string }) => {
        got.push(data);
        if (data.title === 'marker') done();
      }),
    );
    await publish(r, 'news', 'headline', { title: 'the secret plan' });
    await publish(r, 'news', 'headline', { title: 'drop me' });
    await publish(r, 'news', 'headline', { title: 'marker' });
    await marker;
    expect(got).toEqual([{ title: 'the ****** plan' }, { title: 'marker' }]);
    expect(seen[0]).toBe(JSON.stringify({ event: 'headline', channel: 'news', data: JSON.stringify({ title: 'the secret plan' }) }));
    expect(seen).toHaveLength(3);
    expect(written).toEqual([seen[0]!.replace('secret', '******'), seen[2]]);
    expect(r.stats.drops.intercepted).toBe(1);
  });

  it('does not see member_added and member_removed (the protocol’s own): presence works under a hook that drops everything', async () => {
    const seen: string[] = [];
    const r = await relayWith({ preSend: (_to: Connection, message: string) => (seen.push(message), false) });
    const join = async (user: string): Promise<RawPusher & { socketId: string }> => {
      const c = await raw(r);
      const auth = serverSdk(APP).authorizeChannel(c.socketId, 'presence-room', { user_id: user, user_info: {} });
      c.send({ event: 'pusher:subscribe', data: { channel: 'presence-room', auth: auth.auth, channel_data: auth.channel_data } });
      await c.nextEvent('pusher_internal:subscription_succeeded');
      return c;
    };
    const alice = await join('alice');
    const bob = await join('bob');
    expect(await alice.next()).toMatchObject({
      event: 'pusher_internal:member_added',
      data: JSON.stringify({ user_id: 'bob', user_info: {} }),
    });
    await bob.close();
    expect(await alice.next()).toMatchObject({ event: 'pusher_internal:member_removed', data: JSON.stringify({ user_id: 'bob' }) });
    // The memory engine delivers before publish resolves: the event went to the hook (and was dropped), the member events never did.
    await publish(r, 'presence-room', 'news', {});
    expect(seen.map((text) => (JSON.parse(text) as { event: string }).event)).toEqual(['news']);
  });

  it('sees the event a cache channel sends on subscribe', async () => {
    const r = await relayWith({
      preSend: (_to: Connection, message: string) => message.replace('"percent\\":60', '"percent\\":61'),
    });
    const first = await raw(r);
    first.send({ event: 'pusher:subscribe', data: { channel: 'cache-progress' } });
    await first.nextEvent('pusher_internal:subscription_succeeded');
    await publish(r, 'cache-progress', 'progress', { percent: 60 });
    expect(await first.nextEvent('progress')).toMatchObject({ data: JSON.stringify({ percent: 61 }) });

    const late = await raw(r);
    late.send({ event: 'pusher:subscribe', data: { channel: 'cache-progress' } });
    await late.nextEvent('pusher_internal:subscription_succeeded');
    expect(await late.next()).toMatchObject({ event: 'progress', data: JSON.stringify({ percent: 61 }) });
  });
});
