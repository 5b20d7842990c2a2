/**
 * The mount seam: an application owning a URL prefix gets its requests and
 * upgrades before the relay's admission and upgrade handling, and nothing
 * else; the relay's own endpoints are untouched beside it.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Mounts, type MountedApp } from '../../server/transport/mounts.js';
import type { Relay } from '../../server/relay.js';
import { PageClient, startRelay } from '../helpers/relay-fixture.js';

const noop: MountedApp = { request: () => {}, upgrade: () => {} };

describe('Mounts routing', () => {
  it('matches whole segments only', () => {
    const mounts = new Mounts();
    mounts.mount('/socket.io', noop);
    expect(mounts.owner('/socket.io')).toBe(noop);
    expect(mounts.owner('/socket.io/')).toBe(noop);
    expect(mounts.owner('/socket.io/socket.io.js')).toBe(noop);
    expect(mounts.owner('/socket.iox')).toBeUndefined();
    expect(mounts.owner('/web')).toBeUndefined();
    expect(mounts.owner('/')).toBeUndefined();
    mounts.unmount('/socket.io');
    expect(mounts.owner('/socket.io/')).toBeUndefined();
  });

  it('refuses malformed and overlapping prefixes', () => {
    const mounts = new Mounts();
    mounts.mount('/apps/queue', noop);
    for (const bad of ['', '/', 'socket.io', '/socket.io/', '/a//b', '/a/../b', '/a b', '/a?b']) {
      expect(() => mounts.mount(bad, noop), bad).toThrow(/cannot mount/);
    }
    expect(() => mounts.mount('/apps', noop)).toThrow(/overlaps/);
    expect(() => mounts.mount('/apps/queue/x', noop)).toThrow(/overlaps/);
    expect(() => mounts.mount('/apps/queue2', noop)).not.toThrow();
  });
});

describe('Mounts on a running relay', () => {
  let relay: Relay | undefined;
  const clients: WebSocket[] = [];
  const own = new WebSocketServer({ noServer: true });

  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate();
    await relay?.stop();
    relay = undefined;
  });

  async function mountedRelay(): Promise<Relay> {
    // maxClients 1: the relay's admission would refuse a second client; a mounted app is not subject to it.
    relay = await startRelay({ maxClients: 1 });
    relay.mounts.mount('/app', {
      request(req, res) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`app saw ${req.method} ${req.url}`);
      },
      upgrade(req, socket, head) {
        own.handleUpgrade(req, socket, head, (ws) => ws.send(`app upgraded ${req.url}`));
      },
    });
    return relay;
  }

  function get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      request(relay!.httpUrl(path), (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
  }

  function firstMessage(url: string): Promise<string> {
    const ws = new WebSocket(url);
    clients.push(ws);
    return new Promise((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data.toString('utf8')));
      ws.once('error', reject);
    });
  }

  it('gives the prefix its requests and upgrades, and leaves everything else to the relay', async () => {
    const r = await mountedRelay();
    expect(await get('/app/x?y=1')).toEqual({ status: 200, body: 'app saw GET /app/x?y=1' });
    expect((await get('/appx')).status).toBe(404);
    expect((await get('/health')).status).toBe(200);

    const page = await PageClient.connect(r.url('/web'));
    expect(page.uuid).toMatch(/./);
    // The relay is full (maxClients 1), but the mount's upgrades never meet its admission.
    expect(await firstMessage(r.url('/app/socket?x=1'))).toBe('app upgraded /app/socket?x=1');
    expect(await firstMessage(r.url('/app'))).toBe('app upgraded /app');
    // A lookalike path is the relay's: refused as full, with its own close packet.
    const refused = JSON.parse(await firstMessage(r.url('/appx'))) as { opcode: string; error: string };
    expect(refused).toMatchObject({ opcode: 'close' });
    page.ws.close();
  });
});
