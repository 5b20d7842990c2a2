/**
 * preConnect, postConnect, preDisconnect, postDisconnect, preShutdown and
 * postShutdown against a real relay with real sockets.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { APP_FAILED, REFUSED_BY_APP } from '../../server/hooks/hook-registry.js';
import type { Hooks } from '../../server/hooks/hook-types.js';
import type { Relay } from '../../server/relay.js';
import type { Connection } from '../../server/transport/connection.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { MemoryLogger } from './memory-logger.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function relayWith(hooks: Hooks<never>, logger = new MemoryLogger(), overrides = {}): Promise<Relay> {
  const relay = cleanup.add(await startRelay(overrides, { logger }), (r) => r.stop());
  relay.hooks.add(hooks, { name: 'test-app', scope: null });
  return relay;
}

/** Connect and collect what a refused client is told: the first packet and the close code. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<{ packet: { opcode: string; error?: string }; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: string[] = [];
    const timer = setTimeout(() => reject(new Error('not closed within 5 s')), 5_000);
    ws.on('message', (data: Buffer) => messages.push(data.toString()));
    ws.on('error', () => {});
    ws.on('close', (code: number) => {
      clearTimeout(timer);
      resolve({ packet: JSON.parse(messages[0] ?? '{}') as { opcode: string }, code });
    });
  });
}

/** Resolves when `check` is true, polling; fails after 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('preConnect', () => {
  it('refuses with its own reason and close code, as the relay refuses', async () => {
    const relay = await relayWith({
      preConnect: (_conn: Connection, req: IncomingMessage) =>
        req.headers['x-token'] === 'ok' ? undefined : { refuse: 'bad token', code: 4403 },
    });
    expect(await refusal(relay.url('/web'))).toEqual({ packet: { opcode: 'close', error: 'bad token' }, code: 4403 });
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { headers: { 'x-token': 'ok' } }), (p) => p.close());
    expect(page.uuid).toMatch(/./);
    expect(relay.hub.size).toBe(1);
  });

  it('refuses with 1008 when it returns false', async () => {
    const relay = await relayWith({ preConnect: () => false });
    expect(await refusal(relay.url('/web'))).toEqual({ packet: { opcode: 'close', error: REFUSED_BY_APP }, code: 1008 });
    expect(relay.hub.size).toBe(0);
  });

  it('attaches data the resource sees, and what the client sent meanwhile is not lost', async () => {
    const relay = await relayWith({
      preConnect: async (conn: Connection, req: IncomingMessage) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        conn.data = { user: req.headers['x-user'] };
      },
    });
    relay.registerResource('/who', {
      onMessage(conn, _message, ctx) {
        ctx.send(conn, { opcode: 'you', user: (conn.data as { user: string }).user });
      },
    });
    const ws = cleanup.add(new WebSocket(relay.url('/who'), { headers: { 'x-user': 'alice' } }), (w) => w.terminate());
    const received: string[] = [];
    ws.on('message', (data: Buffer) => received.push(data.toString()));
    // Sent before the application has decided: it waits in the socket.
    ws.on('open', () => ws.send(JSON.stringify({ opcode: 'who' })));
    await until(() => received.some((m) => m.includes('"you"')), 'the answer');
    expect(JSON.parse(received[0]!).opcode).toBe('ready');
    expect(received.map((m) => JSON.parse(m) as { opcode: string }).find((p) => p.opcode === 'you')).toEqual({
      opcode: 'you',
      user: 'alice',
    });
  });

  it('refuses (1011) when it throws, logs the hook and the connection, and the relay goes on', async () => {
    const logger = new MemoryLogger();
    const relay = await relayWith(
      {
        preConnect: (_conn: Connection, req: IncomingMessage) => {
          if (req.headers['x-crash']) throw new Error('boom');
        },
      },
      logger,
    );
    expect(await refusal(relay.url('/web'), { 'x-crash': '1' })).toEqual({ packet: { opcode: 'close', error: APP_FAILED }, code: 1011 });
    const failure = logger.find('hook failed')[0];
    expect(failure?.fields).toMatchObject({ hook: 'preConnect', app: 'test-app', reason: 'boom', path: '/web' });
    expect(typeof failure?.fields.client).toBe('number');
    await cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
  });

  it('refuses when a promise rejects', async () => {
    const relay = await relayWith({ preConnect: () => Promise.reject(new Error('db down')) });
    expect((await refusal(relay.url('/web'))).code).toBe(1011);
  });
});

describe('postConnect', () => {
  it('runs after ready with the registered connection; a throwing one is logged and the client stays', async () => {
    const logger = new MemoryLogger();
    const seen: { uuid: string; inHub: boolean }[] = [];
    const relay: Relay = await relayWith(
      {
        postConnect: (conn: Connection) => {
          seen.push({ uuid: conn.uuid, inHub: relay.hub.byKey(conn.key) === conn });
          throw new Error('observer broke');
        },
      },
      logger,
    );
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    await until(() => seen.length === 1, 'postConnect');
    expect(seen[0]).toEqual({ uuid: page.uuid, inHub: true });
    expect(logger.find('hook failed')[0]?.fields).toMatchObject({ hook: 'postConnect', reason: 'observer broke' });
    page.send({ opcode: 'echo', message: 'still here' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'echo', message: 'still here' });
  });
});

describe('preDisconnect and postDisconnect', () => {
  it('a quit is vetoed by false; otherwise the close happens and postDisconnect gets the code', async () => {
    const events: string[] = [];
    let keep = true;
    const relay = await relayWith({
      preDisconnect: async (_conn: Connection, code: number) => {
        events.push(`pre ${code}`);
        return keep ? false : undefined;
      },
      postDisconnect: (conn: Connection, code: number) => {
        events.push(`post ${code} ${relay.hub.byKey(conn.key) === undefined ? 'forgotten' : 'still registered'}`);
      },
    });
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    page.send({ opcode: 'quit' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'next' });
    await until(() => events.length === 1, 'preDisconnect');
    page.send({ opcode: 'echo', message: 'kept' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await page.nextPacket()).toMatchObject({ message: 'kept' });
    keep = false;
    page.send({ opcode: 'quit' });
    expect(await page.closed()).toBe(1000);
    await until(() => events.length === 3, 'postDisconnect');
    expect(events).toEqual(['pre 1000', 'pre 1000', 'post 1000 forgotten']);
  });

  it('runs once, with the client’s code, when the client closes; a throwing one does not stop postDisconnect', async () => {
    const logger = new MemoryLogger();
    const events: string[] = [];
    const relay = await relayWith(
      {
        preDisconnect: (_conn: Connection, code: number) => {
          events.push(`pre ${code}`);
          throw new Error('pre broke');
        },
        postDisconnect: (_conn: Connection, code: number) => {
          events.push(`post ${code}`);
        },
      },
      logger,
    );
    const page = await PageClient.connect(relay.url('/web'));
    page.ws.close(4001, 'bye');
    await until(() => events.length === 2, 'both hooks');
    expect(events).toEqual(['pre 4001', 'post 4001']);
    expect(logger.find('hook failed')[0]?.fields).toMatchObject({ hook: 'preDisconnect', reason: 'pre broke' });
    expect(relay.hub.size).toBe(0);
  });
});

describe('preShutdown and postShutdown', () => {
  it('preShutdown delays the stop while clients still get messages; postShutdown runs after every client is closed', async () => {
    let release = (): void => {};
    const events: string[] = [];
    const relay: Relay = await relayWith(
      {
        preShutdown: async () => {
          events.push('pre');
          for (const conn of relay.hub.all()) relay.router.write(conn, JSON.stringify({ opcode: 'notice', message: 'going down' }));
          await new Promise<void>((resolve) => (release = resolve));
          events.push('pre done');
        },
        postShutdown: () => {
          events.push(`post clients=${relay.hub.size}`);
        },
      },
      new MemoryLogger(),
      { shutdownGraceMs: 10_000 },
    );
    const page = await PageClient.connect(relay.url('/web'));
    let stopped = false;
    const stopping = relay.stop().then(() => (stopped = true));
    expect(await page.nextPacket()).toEqual({ opcode: 'notice', message: 'going down' });
    // The relay refuses newcomers while the hook holds the stop.
    expect((await refusal(relay.url('/web'))).code).toBe(1001);
    expect(stopped).toBe(false);
    expect(page.closeCode).toBeNull();
    release();
    await stopping;
    expect(await page.closed()).toBe(1001);
    expect(events).toEqual(['pre', 'pre done', 'post clients=0']);
  });

  it('a preShutdown that never settles delays the stop by shutdownGrace at most, and is logged', async () => {
    const logger = new MemoryLogger();
    const relay = await relayWith({ preShutdown: () => new Promise(() => {}) }, logger, { shutdownGraceMs: 200 });
    const page = await PageClient.connect(relay.url('/web'));
    await relay.stop();
    expect(await page.closed()).toBe(1001);
    expect(logger.find('hook did not settle in time')[0]?.fields).toMatchObject({ hook: 'preShutdown', app: 'test-app' });
  });
});
