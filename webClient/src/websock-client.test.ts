/**
 * WebsockClient against scripted relays, in Node: the `ws` package stands in
 * for the browser's WebSocket (same addEventListener/MessageEvent/CloseEvent
 * surface), so edge cases a real relay cannot be made to produce on demand
 * are played exactly.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as NodeWs, WebSocketServer } from 'ws';
import { memorySessionStore } from './session-store.js';
import { WebsockClient, type ReadyEvent } from './websock-client.js';

/** A browser-like WebSocket: errors are reported through `close`, never thrown. */
class BrowserLikeWebSocket extends NodeWs {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    this.on('error', () => {});
  }
}

beforeAll(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= BrowserLikeWebSocket;
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface ResumePacket {
  opcode: string;
  uuid: string;
  lastSeq: number;
  id: unknown;
}

type Script = (ws: NodeWs, n: number, onResume: (handler: (packet: ResumePacket) => void) => void) => void;

/** A v2 relay that hands connection number n to `script`, recording every `resume` it gets. */
async function scriptedRelay(script: Script) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'websock.v2' });
  cleanups.push(() => {
    for (const ws of server.clients) ws.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
  await once(server, 'listening');
  const resumes: ResumePacket[] = [];
  let n = 0;
  server.on('connection', function scriptedOnConnection(ws: NodeWs) {
    const index = n++;
    script(ws, index, (handler) => {
      ws.on('message', function scriptedOnMessage(data: Buffer) {
        const packet = JSON.parse(data.toString()) as ResumePacket;
        if (packet.opcode !== 'resume') return;
        resumes.push(packet);
        handler(packet);
      });
    });
  });
  const { port } = server.address() as { port: number };
  return { server, resumes, url: `ws://127.0.0.1:${port}/web` };
}

function client(url: string, options: ConstructorParameters<typeof WebsockClient>[1] = {}): WebsockClient {
  const c = new WebsockClient(url, options);
  cleanups.push(() => c.close());
  return c;
}

function nextEvent<K extends 'ready' | 'close'>(c: WebsockClient, type: K, timeoutMs = 5_000) {
  return new Promise<K extends 'ready' ? ReadyEvent : unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    const off = c.on(type, (event) => {
      clearTimeout(timer);
      off();
      resolve(event as K extends 'ready' ? ReadyEvent : unknown);
    });
  });
}

/** `promise`, or a rejection after `ms`: a send that never settles fails the test quickly. */
function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('WebsockClient (Node, scripted relay)', () => {
  it('without reconnect, sends queued while connecting fail with CLOSED when the connection cannot be made', async () => {
    const port = await closedPort();
    const c = client(`ws://127.0.0.1:${port}/web`, { reconnect: false, session: false });
    const sending = c.send({ opcode: 'echo', message: 'never' });
    await expect(within(sending)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(c.state).toBe('closed');
    expect(c.pending).toBe(0);
  });

  it('without reconnect, sends queued while resuming fail with CLOSED when the relay goes away', async () => {
    const relay = await scriptedRelay((ws) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: 'fresh', protocol: 2 }));
      ws.once('message', () => ws.close()); // the resume is never answered
    });
    const store = memorySessionStore();
    store.save({ uuid: 'old', lastSeq: 5 });
    const c = client(relay.url, { reconnect: false, session: store });
    const sending = c.send({ opcode: 'echo', message: 'queued' });
    await expect(within(sending)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('a resume that did not recover keeps the duplicate floor: the next resume does not ask again for what was handled', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2 }));
      if (n === 0) {
        ws.once('message', () => {
          for (let seq = 1; seq <= 3; seq++) ws.send(JSON.stringify({ seq, opcode: 'feedback', message: `m${seq}` }));
        });
        return;
      }
      onResume((packet) => {
        ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: n !== 1, lastSeq: 10, id: packet.id }));
      });
    });
    const c = client(relay.url, { session: memorySessionStore(), reconnect: { initialMs: 20, maxMs: 20, jitter: 0 } });
    const seqs: unknown[] = [];
    c.on('message', (packet) => seqs.push(packet.seq));
    await c.whenReady();
    const three = new Promise<void>((resolve) => c.on('message', () => seqs.length === 3 && resolve()));
    void c.echo('go').catch(() => {});
    await three;

    let ready = nextEvent(c, 'ready');
    for (const ws of relay.server.clients) ws.close();
    expect(await ready).toMatchObject({ uuid: 'uuid-0', resumed: true, recovered: false });
    ready = nextEvent(c, 'ready');
    for (const ws of relay.server.clients) ws.close();
    expect(await ready).toMatchObject({ uuid: 'uuid-0', resumed: true, recovered: true });
    expect(relay.resumes.map(({ uuid, lastSeq }) => ({ uuid, lastSeq }))).toEqual([
      { uuid: 'uuid-0', lastSeq: 3 },
      { uuid: 'uuid-0', lastSeq: 3 },
    ]);
  });

  it('after a relay that forgot the session (lastSeq 0), numbering from 1 is not taken for duplicates', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2 }));
      onResume((packet) => {
        ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: false, lastSeq: 0, id: packet.id }));
        ws.send(JSON.stringify({ seq: 1, opcode: 'feedback', message: 'new1' }));
      });
    });
    const store = memorySessionStore();
    store.save({ uuid: 'old', lastSeq: 7 });
    const c = client(relay.url, { session: store });
    const got: unknown[] = [];
    const first = new Promise<void>((resolve) =>
      c.on('message', (packet) => {
        got.push(packet.message);
        resolve();
      }),
    );
    expect(await nextEvent(c, 'ready')).toMatchObject({ uuid: 'old', resumed: true, recovered: false });
    await first;
    expect(got).toEqual(['new1']);
    expect(c.lastSeq).toBe(1);
  });

  it('a relay whose log has another epoch numbers from 1 again: those are not duplicates, though its lastSeq is higher', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2, epoch: `e${n}` }));
      onResume((packet) => {
        // The log was lost and made again on another node: 12 messages of a new epoch already.
        ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: false, lastSeq: 12, epoch: 'fresh', id: packet.id }));
        ws.send(JSON.stringify({ seq: 5, opcode: 'feedback', message: 'new5' }));
      });
    });
    const store = memorySessionStore();
    store.save({ uuid: 'old', lastSeq: 7, epoch: 'lost' });
    const c = client(relay.url, { session: store });
    const first = new Promise<unknown>((resolve) => c.on('message', (packet) => resolve(packet.message)));
    expect(await nextEvent(c, 'ready')).toMatchObject({ uuid: 'old', resumed: true, recovered: false });
    expect(relay.resumes[0]).toMatchObject({ uuid: 'old', lastSeq: 7, epoch: 'lost' });
    expect(await first).toBe('new5');
    expect(store.load()).toEqual({ uuid: 'old', lastSeq: 5, epoch: 'fresh' });
  });
});
