import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Cleanup, PageClient, startRelay } from '../test/helpers/relay-fixture.js';
import { ClientError, isClientError } from './client-error.js';
import type { ReceivedPacket } from './packets.js';
import { RelayClient } from './relay-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Wait for the next 'message' of a client, bounded. */
function nextMessage(client: RelayClient, timeoutMs = 5_000): Promise<ReceivedPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(packet: ReceivedPacket): void {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(packet);
    }
    client.on('message', onMessage);
  });
}

async function connect(address: string, options: Parameters<typeof RelayClient.connect>[1] = {}): Promise<RelayClient> {
  const client = await RelayClient.connect(address, options);
  return cleanup.add(client, (c) => c.terminate());
}

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(['v1', 'v2'] as const)('RelayClient over protocol %s', (protocol) => {
  it('sends feedback to a page, which receives the packet whole', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol, ident: 'job-7' });
    expect(client.protocol).toBe(protocol === 'v1' ? 1 : 2);
    expect(client.uuid).not.toBe('');

    const result = await client.feedback(page.uuid, 'hello page', { extra: { step: 1 } });
    expect(result).toBe(protocol === 'v1' ? 'sent' : 'delivered');
    const packet = await page.nextPacket();
    expect(packet).toMatchObject({
      opcode: 'feedback',
      uuid: page.uuid,
      ident: '',
      message: 'hello page',
      step: 1,
      fromUUID: client.uuid,
      fromIdent: 'job-7',
    });
  });

  it('keeps order when many feedbacks are fired without awaiting', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    const sends = Array.from({ length: 200 }, (_, i) => client.feedback(page.uuid, `m${i}`));
    await Promise.all(sends);
    for (let i = 0; i < 200; i++) expect((await page.nextPacket()).message).toBe(`m${i}`);
  });

  it('close() lets messages already handed over finish first', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    const sends = Array.from({ length: 50 }, (_, i) => client.feedback(page.uuid, `m${i}`));
    await client.close();
    expect((await Promise.allSettled(sends)).every((r) => r.status === 'fulfilled')).toBe(true);
    for (let i = 0; i < 50; i++) expect((await page.nextPacket()).message).toBe(`m${i}`);
  });

  it('sends structured progress', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    await client.progress(page.uuid, { job: 'import', done: 3, total: 4, status: 'importing' });
    expect(await page.nextPacket()).toMatchObject({
      message: 'importing',
      progress: { job: 'import', done: 3, total: 4, percent: 75, status: 'importing' },
    });
  });

  it('delivers from script to script by ident, as events and as an async iterator', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const receiver = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol, ident: 'receiver' });
    const sender = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol, ident: 'sender' });
    const iterator = receiver.messages();
    const first = nextMessage(receiver);
    expect(await sender.send('receiver', 'hello')).toBe(protocol === 'v1' ? 'sent' : 'delivered');
    expect(await first).toMatchObject({ opcode: 'feedback', ident: 'receiver', message: 'hello', fromIdent: 'sender' });
    await sender.send('receiver', { n: 2 });
    expect((await iterator.next()).value).toMatchObject({ message: 'hello' });
    expect((await iterator.next()).value).toMatchObject({ message: { n: 2 } });
    await receiver.close();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('echoes back to the sender', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    const echoed = nextMessage(client);
    await client.echo('ping?');
    expect(await echoed).toMatchObject({ opcode: 'echo', message: 'ping?' });
  });

  it('broadcasts to pages', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    await client.broadcast('to all');
    expect(await page.nextPacket()).toMatchObject({ opcode: 'broadcast', message: 'to all' });
  });

  it('carries a 10 MiB message intact as one WebSocket message', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { maxPayload: 64 * 1024 * 1024 }), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    // 37 characters, 38 UTF-8 bytes: multi-byte text must survive too.
    const big = 'é0123456789abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil((10 * 1024 * 1024) / 38));
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    await client.feedback(page.uuid, big);
    const packet = await page.nextPacket(15_000);
    expect(packet.message === big).toBe(true);
  });

  it('sends a long message as bufferON / chunks / bufferOFF when asked', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol, chunkBytes: 64 * 1024 });
    const long = 'ü-chunk-'.repeat(100_000);
    await client.feedback(page.uuid, long);
    await client.feedback(page.uuid, 'after');
    expect((await page.nextPacket()).message === long).toBe(true);
    expect((await page.nextPacket()).message).toBe('after');
  });

  it('reports a lost connection when the relay goes away mid-stream', async () => {
    const relay = await startRelay({ shutdownGraceMs: 100 });
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol });
    await client.feedback(page.uuid, 'first');
    const closed = once(client, 'close');
    const sends = Array.from({ length: 50 }, (_, i) => client.feedback(page.uuid, `m${i}`).catch((error: unknown) => error));
    await relay.stop();
    const [closeError] = (await closed) as [ClientError];
    expect(closeError.code).toBe('CONNECTION_LOST');
    const results = await Promise.all(sends);
    const failures = results.filter((r) => r instanceof ClientError) as ClientError[];
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure.code).toBe('CONNECTION_LOST');
    expect(client.connected).toBe(false);
    expect((await rejection(client.feedback(page.uuid, 'late'))).code).toBe('CLOSED');
  });
});

describe('RelayClient connection errors', () => {
  it('rejects a malformed address with BAD_ARGUMENT', async () => {
    expect((await rejection(RelayClient.connect('http://127.0.0.1/php'))).code).toBe('BAD_ARGUMENT');
    expect((await rejection(RelayClient.connect('nonsense'))).code).toBe('BAD_ARGUMENT');
  });

  it('rejects with CONNECT_FAILED when nothing listens', async () => {
    const port = await closedPort();
    const error = await rejection(RelayClient.connect(`tcp://127.0.0.1:${port}/php`));
    expect(error.code).toBe('CONNECT_FAILED');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('rejects with HANDSHAKE_REFUSED and the relay’s reason for a resource it does not have', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const error = await rejection(RelayClient.connect(`tcp://127.0.0.1:${relay.port}/nope`));
    expect(error.code).toBe('HANDSHAKE_REFUSED');
    expect(error.reason).toContain('/nope');
  });

  it('rejects with HANDSHAKE_REFUSED when backends are not allowed from our address', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['10.9.8.7'] }), (r) => r.stop());
    const error = await rejection(RelayClient.connect(`tcp://127.0.0.1:${relay.port}/php`));
    expect(error.code).toBe('HANDSHAKE_REFUSED');
    expect(error.reason).toMatch(/not allowed/);
  });

  it('rejects with HANDSHAKE_REFUSED and the body’s reason when answered with plain HTTP', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'go away' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.add(server, (s) => new Promise((resolve) => s.close(resolve)));
    const { port } = server.address() as { port: number };
    const error = await rejection(RelayClient.connect(`tcp://127.0.0.1:${port}/php`));
    expect(error.code).toBe('HANDSHAKE_REFUSED');
    expect(error.message).toContain('HTTP 403 go away');
  });

  it('rejects with CONNECT_FAILED when the server never answers in time', async () => {
    const silent = createServer((socket) => cleanup.add(socket, (s) => s.destroy()));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanup.add(silent, (s) => new Promise((resolve) => s.close(resolve)));
    const { port } = silent.address() as { port: number };
    const error = await rejection(RelayClient.connect(`tcp://127.0.0.1:${port}/php`, { connectTimeoutMs: 300 }));
    expect(error.code).toBe('CONNECT_FAILED');
  });

  it('refuses a message over maxMessageBytes before sending it', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { maxMessageBytes: 1000 });
    expect((await rejection(client.feedback('someone', 'x'.repeat(2000)))).code).toBe('TOO_LARGE');
    expect(await client.echo('still usable')).toBe('sent');
  });

  it('reports TOO_LARGE when the relay refuses a message as too big', async () => {
    const relay = cleanup.add(await startRelay({ maxMessageBytes: 4096 }), (r) => r.stop());
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol: 'v1' });
    expect((await rejection(client.feedback('someone', 'x'.repeat(10_000)))).code).toBe('TOO_LARGE');
  });
});

describe('RelayClient reconnect', () => {
  it('a listener reconnects with backoff after the relay restarts on the same port, and keeps its ident', async () => {
    const first = await startRelay({ shutdownGraceMs: 100 });
    const port = first.port;
    const receiver = await connect(`tcp://127.0.0.1:${port}/php`, { ident: 'listener', reconnect: { initialMs: 20, maxMs: 200 } });
    const oldUuid = receiver.uuid;
    const attempts: number[] = [];
    receiver.on('reconnecting', (info) => attempts.push(info.attempt));
    const disconnected = once(receiver, 'disconnect');
    await first.stop();
    await disconnected;
    expect(receiver.connected).toBe(false);

    const second = cleanup.add(await startRelay({ address: { ...first.config.address, port } }), (r) => r.stop());
    const [info] = await once(receiver, 'reconnect');
    expect(info.previousUuid).toBe(oldUuid);
    expect(info.uuid).toBe(receiver.uuid);
    expect(attempts[0]).toBe(1);
    expect(receiver.connected).toBe(true);

    const sender = await connect(`tcp://127.0.0.1:${second.port}/php`);
    const arrived = nextMessage(receiver);
    await sender.send('listener', 'after the restart');
    expect(await arrived).toMatchObject({ message: 'after the restart' });
  });

  it('sends what was queued while disconnected once it is back', async () => {
    const first = await startRelay({ shutdownGraceMs: 100 });
    const port = first.port;
    const client = await connect(`tcp://127.0.0.1:${port}/php`, { reconnect: { initialMs: 20, maxMs: 100 } });
    const disconnected = once(client, 'disconnect');
    await first.stop();
    await disconnected;
    const second = cleanup.add(await startRelay({ address: { ...first.config.address, port } }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(second.url('/web')), (p) => p.close());
    const queued = client.feedback(page.uuid, 'queued while away');
    expect(await queued).toBeDefined();
    expect(await page.nextPacket()).toMatchObject({ message: 'queued while away' });
  });

  it('close() stops reconnecting and rejects what waits', async () => {
    const relay = await startRelay({ shutdownGraceMs: 100 });
    const client = await connect(`tcp://127.0.0.1:${relay.port}/php`, { reconnect: { initialMs: 10_000, maxMs: 10_000 } });
    const disconnected = once(client, 'disconnect');
    await relay.stop();
    await disconnected;
    const waiting = client.feedback('x', 'never').catch((error: unknown) => error);
    const closed = once(client, 'close');
    await client.close();
    expect(isClientError(await waiting, 'CLOSED')).toBe(true);
    expect(await closed).toEqual([undefined]);
  });
});

describe('RelayClient first packets', () => {
  it('a packet that arrives in the same read as ready reaches listeners added right after connect()', async () => {
    const server = cleanup.add(new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'websock.v2' }), (s) => {
      for (const ws of s.clients) ws.terminate();
      return new Promise((resolve) => s.close(resolve));
    });
    await once(server, 'listening');
    server.on('connection', function readyAndMessage(ws: WebSocket) {
      // Unmasked server text frames, written at once: one read on the client's side.
      const frame = (packet: object): Buffer => {
        const payload = Buffer.from(JSON.stringify(packet));
        return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
      };
      const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      raw.write(Buffer.concat([frame({ opcode: 'ready', uuid: 'u', protocol: 2 }), frame({ opcode: 'feedback', message: 'first' })]));
    });
    const { port } = server.address() as { port: number };
    const client = await connect(`ws://127.0.0.1:${port}/php`, { ident: 'listener' });
    const events = nextMessage(client);
    const stream = client.messages();
    expect(await events).toMatchObject({ message: 'first' });
    expect((await stream.next()).value).toMatchObject({ message: 'first' });
  });
});
