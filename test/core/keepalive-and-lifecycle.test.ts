import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseAddress } from '../../include/address.js';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('keepalive', () => {
  it('pings browsers with the original payload and evicts one that does not pong', async () => {
    // A pong must be back before the next ping: the interval is long enough
    // that a loaded machine's pauses do not make the good page miss one.
    const relay = cleanup.add(await startRelay({ pingIntervalMs: 1_000 }), (r) => r.stop());
    const good = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const pings: string[] = [];
    good.ws.on('ping', (data: Buffer) => pings.push(data.toString()));
    const mute = cleanup.add(await PageClient.connect(relay.url('/web'), { autoPong: false }), (p) => p.close());
    expect(await mute.closed(15_000)).toBe(1006);
    expect(relay.stats.evictions).toBe(1);
    expect(pings).toContain('{"opcode":"PING"}');
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('does not ping v1 backends (their reader would take a ping for the answer)', async () => {
    const relay = cleanup.add(await startRelay({ pingIntervalMs: 300 }), (r) => r.stop());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    let pinged = 0;
    page.ws.on('ping', () => pinged++);
    // Three ping rounds passed (the page counts them); the backend, which
    // reads nothing meanwhile and so could not pong, is still connected.
    await expect.poll(() => pinged, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await backend.talk({ opcode: 'echo', message: 'alive' });
    expect([...relay.hub.all()].filter((c) => c.kind === 'backend')).toHaveLength(1);
  });

  it('answers client pings with pongs', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const pong = new Promise<string>((resolve) => page.ws.once('pong', (d: Buffer) => resolve(d.toString())));
    page.ws.ping('are you there');
    expect(await pong).toBe('are you there');
  });
});

describe('lifecycle', () => {
  it('stop() closes every client with 1001 and stops listening', async () => {
    const relay = await startRelay();
    const port = relay.port;
    const a = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const b = cleanup.add(await PageClient.connect(relay.url('/php')), (p) => p.close());
    await relay.stop();
    expect(a.closeCode).toBe(1001);
    expect(b.closeCode).toBe(1001);
    const refused = new WebSocket(`ws://127.0.0.1:${port}/web`);
    await new Promise((resolve) => refused.once('error', resolve));
  });

  it('listens on IPv6 loopback too', async () => {
    const relay = cleanup.add(await startRelay({ address: parseAddress('ws://[::1]:0') }), (r) => r.stop());
    expect(relay.url('/web')).toMatch(/^ws:\/\/\[::1\]:\d+\/web$/);
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, host: '::1' }), (c) => c.destroy());
    await backend.talk({ opcode: 'feedback', uuid: page.uuid, message: 'v6' });
    expect((await page.nextPacket()).message).toBe('v6');
  });

  it('on a wildcard address serves IPv4 and IPv6 on one port', async () => {
    const relay = cleanup.add(await startRelay({ address: parseAddress('ws://0.0.0.0:0') }), (r) => r.stop());
    cleanup.add(await PageClient.connect(`ws://127.0.0.1:${relay.port}/web`), (p) => p.close());
    cleanup.add(await PageClient.connect(`ws://[::1]:${relay.port}/web`), (p) => p.close());
  });
});
