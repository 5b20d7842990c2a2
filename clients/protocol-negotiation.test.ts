import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Cleanup, PageClient, startRelay } from '../test/helpers/relay-fixture.js';
import { ClientError } from './client-error.js';
import { RelayClient } from './relay-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * A relay that only knows v1, like the original: it selects no subprotocol,
 * sends ready, and answers every message with next. It records what it got.
 */
async function startV1OnlyServer(): Promise<{ port: number; received: string[]; server: WebSocketServer }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => false });
  await once(server, 'listening');
  const received: string[] = [];
  server.on('connection', function v1OnConnection(ws: WebSocket) {
    ws.send(JSON.stringify({ opcode: 'ready', uuid: 'v1-uuid' }));
    ws.on('message', function v1OnMessage(data: Buffer) {
      received.push(data.toString());
      ws.send('{"opcode":"next","fyi":""}');
    });
  });
  return { port: (server.address() as { port: number }).port, received, server };
}

function closeServer(server: WebSocketServer): Promise<void> {
  for (const ws of server.clients) ws.terminate();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('protocol negotiation', () => {
  it('auto speaks v2 with a relay that offers it', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const client = cleanup.add(await RelayClient.connect(`tcp://127.0.0.1:${relay.port}/php`), (c) => c.terminate());
    expect(client.protocol).toBe(2);
  });

  it('auto falls back to v1 with a v1-only server, with the same API', async () => {
    const v1 = await startV1OnlyServer();
    cleanup.add(v1.server, closeServer);
    const client = cleanup.add(await RelayClient.connect(`tcp://127.0.0.1:${v1.port}/php`), (c) => c.terminate());
    expect(client.protocol).toBe(1);
    expect(client.uuid).toBe('v1-uuid');
    const results = await Promise.all([client.feedback('page', 'a'), client.feedback('page', 'b')]);
    expect(results).toEqual(['sent', 'sent']);
    expect(v1.received.map((text) => JSON.parse(text).message)).toEqual(['a', 'b']);
    expect(JSON.parse(v1.received[0]!)).not.toHaveProperty('id');
  });

  it('v2 required against a v1-only server is refused with a clear reason', async () => {
    const v1 = await startV1OnlyServer();
    cleanup.add(v1.server, closeServer);
    const error = await RelayClient.connect(`tcp://127.0.0.1:${v1.port}/php`, { protocol: 'v2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('HANDSHAKE_REFUSED');
    expect((error as ClientError).message).toMatch(/does not offer protocol v2/);
  });

  it('v2 tells the sender when nobody has the uuid or ident', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const client = cleanup.add(await RelayClient.connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol: 'v2' }), (c) => c.terminate());
    expect(await client.send('nobody-here', 'hello?')).toBe('unknown');
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    expect(await client.feedback(page.uuid, 'hi')).toBe('delivered');
    page.close();
    await page.closed();
    // The relay may hold messages for a page that can resume; either way it is not delivered.
    expect(['unknown', 'held']).toContain(await client.feedback(page.uuid, 'gone?'));
  });

  it('v2 pipelines: many requests in flight at once, each with its outcome', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const client = cleanup.add(await RelayClient.connect(`tcp://127.0.0.1:${relay.port}/php`, { protocol: 'v2' }), (c) => c.terminate());
    const outcomes = await Promise.all(Array.from({ length: 500 }, (_, i) => client.feedback(page.uuid, i)));
    expect(new Set(outcomes)).toEqual(new Set(['delivered']));
    for (let i = 0; i < 500; i++) expect((await page.nextPacket()).message).toBe(i);
  });
});
