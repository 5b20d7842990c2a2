import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseAddress } from '../include/address.js';
import type { Relay } from '../server/relay.js';
import { Cleanup, startRelay } from '../test/helpers/relay-fixture.js';
import type { ReconnectInfo } from './client-events.js';
import type { ReceivedPacket } from './packets.js';
import { RelayClient } from './relay-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterEach(() => vi.restoreAllMocks());

/**
 * Follows the ref'ed timers the client library (clients/, not its tests)
 * starts from now on. Counting every timer of the process instead (what
 * process.getActiveResourcesInfo() gives) made the result depend on what
 * other sockets were doing at that moment.
 */
function trackLibraryTimers(): { pending: () => string[] } {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Map<NodeJS.Timeout, string>();
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    // The first frame in a library file (vitest's spy adds frames of its own).
    const caller = (new Error().stack ?? '').split('\n').find((frame) => /[\\/]clients[\\/][\w-]+\.ts/.test(frame));
    const timer: NodeJS.Timeout = realSet(
      (...callbackArgs: unknown[]) => {
        live.delete(timer);
        callback(...callbackArgs);
      },
      ms,
      ...args,
    );
    if (caller !== undefined) live.set(timer, caller.trim());
    return timer;
  }) as unknown as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer?: NodeJS.Timeout) => {
    if (timer !== undefined) live.delete(timer);
    realClear(timer);
  }) as typeof clearTimeout);
  return { pending: () => [...live].filter(([timer]) => timer.hasRef()).map(([, caller]) => caller) };
}

/** Drop, from the relay's side, the connection that has this uuid (a network blip). */
function cut(relay: Relay, uuid: string): void {
  for (const conn of relay.hub.all()) if (conn.uuid === uuid) conn.terminate();
}

/** A Node client acting as a page (no Client-Type: php) on /web, collecting what it gets. */
async function page(relay: Relay, reconnect = { initialMs: 200, maxMs: 200, jitter: 0 }) {
  const client = cleanup.add(await RelayClient.connect(relay.url('/web'), { clientType: null, reconnect }), (c) => c.terminate());
  const got: ReceivedPacket[] = [];
  client.on('message', (packet) => got.push(packet));
  return { client, got };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('resume after a reconnect (v2)', () => {
  it('gets its uuid back and every message sent meanwhile, in order, once', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const { client, got } = await page(relay);
    expect(client.protocol).toBe(2);
    const uuid = client.uuid;
    const backend = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    for (let i = 0; i < 5; i++) expect(await backend.feedback(uuid, `m${i}`)).toBe('delivered');
    await until(() => got.length === 5, 'the first five');

    const disconnected = once(client, 'disconnect');
    cut(relay, uuid);
    await disconnected;
    const away: string[] = [];
    for (let i = 5; i < 10; i++) away.push(await backend.feedback(uuid, `m${i}`));
    expect(away).toEqual(Array(5).fill('held'));

    const [info] = (await once(client, 'reconnect')) as [ReconnectInfo];
    expect(info).toMatchObject({ resumed: true, recovered: true, previousUuid: uuid, uuid });
    expect(client.uuid).toBe(uuid);
    expect(await backend.feedback(uuid, 'm10')).toBe('delivered');
    await until(() => got.length >= 11, 'all eleven');
    expect(got.map((p) => p.message)).toEqual(Array.from({ length: 11 }, (_, i) => `m${i}`));
    expect(got.map((p) => p.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });

  it('says recovered: false when the gap exceeds retention, and still gets the latest progress', async () => {
    const relay = cleanup.add(await startRelay({ retentionCount: 3 }), (r) => r.stop());
    const { client, got } = await page(relay);
    const uuid = client.uuid;
    const backend = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    const disconnected = once(client, 'disconnect');
    cut(relay, uuid);
    await disconnected;
    for (let done = 1; done <= 10; done++) await backend.progress(uuid, { job: 'j', done, total: 10 });
    const [info] = (await once(client, 'reconnect')) as [ReconnectInfo];
    expect(info).toMatchObject({ resumed: true, recovered: false, uuid });
    await until(() => got.some((p) => (p.progress as { done?: number } | undefined)?.done === 10), 'the latest progress');
    expect(got.filter((p) => (p.progress as { done?: number } | undefined)?.done !== 10)).toEqual([]);
  });

  it('after a relay restart (sessions gone, same secret) the numbering starts over and nothing is dropped as a duplicate', async () => {
    const first = await startRelay();
    const port = first.port;
    const { client, got } = await page(first);
    const uuid = client.uuid;
    const before = await RelayClient.connect(first.url('/php'));
    for (let i = 0; i < 3; i++) expect(await before.feedback(uuid, `old${i}`)).toBe('delivered');
    await until(() => got.length === 3, 'the first three');
    before.terminate();
    await first.stop();
    const second = cleanup.add(await startRelay({ address: parseAddress(`ws://127.0.0.1:${port}`) }), (r) => r.stop());
    const [info] = (await once(client, 'reconnect')) as [ReconnectInfo];
    expect(info).toMatchObject({ resumed: true, recovered: false, uuid });
    const backend = cleanup.add(await RelayClient.connect(second.url('/php')), (c) => c.terminate());
    expect(await backend.feedback(uuid, 'new0')).toBe('delivered');
    await until(() => got.length === 4, 'the message after the restart');
    expect(got[3]).toMatchObject({ message: 'new0', seq: 1 });
  });

  it('a backend reconnects without resuming: it is not a page', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const backend = cleanup.add(
      await RelayClient.connect(relay.url('/php'), { ident: 'worker', reconnect: { initialMs: 20, maxMs: 20 } }),
      (c) => c.terminate(),
    );
    const uuid = backend.uuid;
    cut(relay, uuid);
    const [info] = (await once(backend, 'reconnect')) as [ReconnectInfo];
    expect(info.resumed).toBe(false);
    expect(backend.uuid).not.toBe(uuid);
    expect(await backend.echo('fine')).toBe('sent');
  });
});

/** A server frame (unmasked text) as raw bytes, so several can be written in one TCP write. */
function textFrame(packet: object): Buffer {
  const payload = Buffer.from(JSON.stringify(packet));
  if (payload.length >= 126) throw new Error('test frames are short');
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/**
 * A scripted v2 relay: connection number n is handed to `script(ws, n)`.
 * It records every `resume` request it gets.
 */
async function scriptedRelay(script: (ws: WebSocket, n: number, resume: (handler: (packet: ResumePacket) => void) => void) => void) {
  const server = cleanup.add(new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'websock.v2' }), (s) => {
    for (const ws of s.clients) ws.terminate();
    return new Promise((resolve) => s.close(resolve));
  });
  await once(server, 'listening');
  const resumes: ResumePacket[] = [];
  let n = 0;
  server.on('connection', function scriptedOnConnection(ws: WebSocket) {
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

interface ResumePacket {
  opcode: string;
  uuid: string;
  lastSeq: number;
  id: unknown;
}

/** On the client's first echo, three numbered feedbacks (once it listens). */
function sendThree(ws: WebSocket): void {
  ws.once('message', function sendThreeOnEcho() {
    for (let seq = 1; seq <= 3; seq++) ws.send(JSON.stringify({ seq, opcode: 'feedback', message: `m${seq}` }));
  });
}

async function scriptedPage(url: string) {
  const client = cleanup.add(
    await RelayClient.connect(url, { clientType: null, reconnect: { initialMs: 20, maxMs: 20, jitter: 0 } }),
    (c) => c.terminate(),
  );
  const got: ReceivedPacket[] = [];
  client.on('message', (packet) => got.push(packet));
  await client.echo('go');
  return { client, got };
}

describe('resume edge cases (scripted relay)', () => {
  it('a connection lost while resuming: the next attempt still asks for the original uuid and floor', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2 }));
      if (n === 0) {
        sendThree(ws);
        return;
      }
      onResume((packet) => {
        if (n === 1)
          ws.terminate(); // lost before answering
        else ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: true, lastSeq: 3, id: packet.id }));
      });
    });
    const { client, got } = await scriptedPage(relay.url);
    await until(() => got.length === 3, 'the first three');
    const reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    const [info] = (await reconnected) as [ReconnectInfo];
    expect(relay.resumes.map(({ uuid, lastSeq }) => ({ uuid, lastSeq }))).toEqual([
      { uuid: 'uuid-0', lastSeq: 3 },
      { uuid: 'uuid-0', lastSeq: 3 },
    ]);
    expect(info).toMatchObject({ resumed: true, recovered: true, uuid: 'uuid-0', previousUuid: 'uuid-0' });
    expect(client.uuid).toBe('uuid-0');
  });

  it('a resume that did not recover keeps the duplicate floor: the next resume does not ask again for what was handled', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2 }));
      if (n === 0) {
        sendThree(ws);
        return;
      }
      onResume((packet) => {
        const answer = { opcode: 'resumed', uuid: packet.uuid, recovered: n !== 1, lastSeq: 10, id: packet.id };
        // The gap could not be filled: the answer and the job's latest progress arrive in one read.
        const replay = { seq: 10, opcode: 'feedback', message: 'p10', progress: { job: 'j', done: 10 } };
        const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
        if (n === 1) raw.write(Buffer.concat([textFrame(answer), textFrame(replay)]));
        else ws.send(JSON.stringify(answer));
      });
    });
    const { client, got } = await scriptedPage(relay.url);
    await until(() => got.length === 3, 'the first three');
    let reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    const [first] = (await reconnected) as [ReconnectInfo];
    expect(first).toMatchObject({ resumed: true, recovered: false, uuid: 'uuid-0' });
    await until(() => got.length === 4, 'the replayed progress');

    reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    await reconnected;
    expect(relay.resumes.map(({ uuid, lastSeq }) => ({ uuid, lastSeq }))).toEqual([
      { uuid: 'uuid-0', lastSeq: 3 },
      { uuid: 'uuid-0', lastSeq: 10 },
    ]);
    expect(got.map((p) => p.seq)).toEqual([1, 2, 3, 10]);
  });

  it('a resume that did not recover and replayed nothing keeps our floor when the relay numbering went on', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2 }));
      if (n === 0) {
        sendThree(ws);
        return;
      }
      onResume((packet) => {
        ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: n !== 1, lastSeq: 10, id: packet.id }));
      });
    });
    const { client, got } = await scriptedPage(relay.url);
    await until(() => got.length === 3, 'the first three');
    let reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    await reconnected;
    reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    await reconnected;
    expect(relay.resumes.map(({ lastSeq }) => lastSeq)).toEqual([3, 3]);
  });
});

describe('resume positions carry the epoch (scripted relay)', () => {
  it('sends the epoch from ready; another epoch in resumed means numbering from 1 again, though the relay lastSeq is higher', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2, epoch: `e${n}` }));
      if (n === 0) {
        sendThree(ws);
        return;
      }
      onResume((packet) => {
        // The log was lost and made again elsewhere, already 12 messages into a new epoch.
        ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: false, lastSeq: 12, epoch: 'fresh', id: packet.id }));
        ws.send(JSON.stringify({ seq: 2, opcode: 'feedback', message: 'new2' }));
      });
    });
    const { client, got } = await scriptedPage(relay.url);
    await until(() => got.length === 3, 'the first three');
    const reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    await reconnected;
    await until(() => got.length === 4, 'the first message of the new epoch');
    expect(got[3]).toMatchObject({ seq: 2, message: 'new2' });
    expect(relay.resumes[0]).toMatchObject({ uuid: 'uuid-0', lastSeq: 3, epoch: 'e0' });
  });

  it('the same epoch keeps our floor even when the relay lastSeq is lower than ours', async () => {
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2, epoch: 'e0' }));
      if (n === 0) {
        sendThree(ws);
        return;
      }
      onResume((packet) => {
        ws.send(JSON.stringify({ opcode: 'resumed', uuid: packet.uuid, recovered: false, lastSeq: 1, epoch: 'e0', id: packet.id }));
        ws.send(JSON.stringify({ seq: 3, opcode: 'feedback', message: 'again3' }));
        ws.send(JSON.stringify({ seq: 4, opcode: 'feedback', message: 'm4' }));
      });
    });
    const { client, got } = await scriptedPage(relay.url);
    await until(() => got.length === 3, 'the first three');
    const reconnected = once(client, 'reconnect');
    for (const ws of relay.server.clients) ws.close();
    await reconnected;
    await until(() => got.length === 4, 'the next message');
    expect(got.map((p) => p.message)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });
});

describe('closing while resuming', () => {
  it('close() during an unanswered resume leaves no timer behind', async () => {
    let resumeSeen!: () => void;
    const seen = new Promise<void>((resolve) => (resumeSeen = resolve));
    const relay = await scriptedRelay((ws, n, onResume) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: `uuid-${n}`, protocol: 2 }));
      if (n === 0) sendThree(ws);
      else onResume(() => resumeSeen()); // never answered
    });
    const timers = trackLibraryTimers();
    const { client, got } = await scriptedPage(relay.url);
    await until(() => got.length === 3, 'the first three');
    for (const ws of relay.server.clients) ws.close();
    await seen;
    const closed = once(client, 'close');
    await client.close();
    await closed;
    expect(timers.pending()).toEqual([]);
  });

  it('terminate() while close() waits for acknowledgements emits close once', async () => {
    const relay = await scriptedRelay((ws) => {
      ws.send(JSON.stringify({ opcode: 'ready', uuid: 'u', protocol: 2 })); // never answers a feedback
    });
    const client = await RelayClient.connect(relay.url, { clientType: null });
    let closes = 0;
    client.on('close', () => closes++);
    const sending = client.feedback('page', 'unanswered');
    sending.catch(() => {});
    const closing = client.close();
    client.terminate();
    await closing;
    await expect(sending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(closes).toBe(1);
  });
});
