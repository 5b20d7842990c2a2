/**
 * WebSockets over HTTP/2 (RFC 8441) on the relay's one port: a hand-written
 * Extended CONNECT client on Node's http2, over TLS (ALPN h2) and over h2c
 * with prior knowledge, speaking v1 and v2 to /web and /php as the
 * raw-socket tests do over TCP.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../include/address.js';
import type { RelayConfig } from '../../server/config/relay-config.js';
import { H2Connection } from '../helpers/h2-websocket-client.js';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';
import { parseSamples, sampleValue } from '../http/prometheus-text.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
let cert: ReturnType<typeof makeSelfSignedCert>;
beforeAll(() => {
  cert = makeSelfSignedCert();
});
afterAll(() => cert.remove());

type Variant = { name: string; tls: boolean; config: () => Partial<RelayConfig> };
const VARIANTS: Variant[] = [
  {
    name: 'TLS, ALPN h2 (http2 = auto)',
    tls: true,
    config: () => ({ address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile }),
  },
  {
    name: 'h2c with prior knowledge (http2 = true)',
    tls: false,
    config: () => ({ address: parseAddress('ws://127.0.0.1:0'), http2: true }),
  },
];

describe.each(VARIANTS)('Extended CONNECT over $name', ({ tls, config }) => {
  async function setup(overrides: Partial<RelayConfig> = {}) {
    const relay = cleanup.add(await startRelay({ ...config(), ...overrides }), (r) => r.stop());
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port, tls, ca: readFileSync(cert.certFile) }), (c) => c.close());
    return { relay, h2 };
  }

  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and opens a v1 page on /web that gets feedback from a PHP-style backend', async () => {
    const { relay, h2 } = await setup();
    expect(h2.enableConnectProtocol).toBe(true);
    const { status, headers, ws } = await h2.websocket('/web');
    expect(status).toBe(200);
    expect(headers['sec-websocket-accept']).toBeUndefined();
    expect(headers['sec-websocket-protocol']).toBeUndefined();
    const ready = await ws.ready();
    expect(ready.protocol).toBeUndefined();
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, tls }), (c) => c.destroy());
    await backend.talk({ opcode: 'feedback', uuid: ws.uuid, message: 'over h2', fromUUID: backend.uuid });
    expect(await ws.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'over h2' });
    // v1: every message from the page is answered with next.
    ws.send({ opcode: 'echo', message: 'ping me' });
    expect(await ws.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await ws.nextPacket()).toMatchObject({ opcode: 'echo', message: 'ping me' });
  });

  it('negotiates websock.v2 on /web: pipelined feedback with outcomes, and the h2 transport in the metrics', async () => {
    const { relay, h2 } = await setup();
    const page = await h2.websocket('/web', { protocols: ['websock.v2'] });
    expect(page.headers['sec-websocket-protocol']).toBe('websock.v2');
    expect((await page.ws.ready()).protocol).toBe(2);
    const publisher = await h2.websocket('/php', { protocols: ['websock.v2'], headers: { 'client-type': 'php', ident: 'h2-pub' } });
    expect(publisher.headers['sec-websocket-protocol']).toBe('websock.v2');
    await publisher.ws.ready();
    for (let i = 1; i <= 3; i++) publisher.ws.send({ opcode: 'feedback', uuid: page.ws.uuid, message: `m${i}`, id: `p${i}` });
    for (let i = 1; i <= 3; i++) {
      const outcome = await publisher.ws.nextPacket();
      expect(outcome).toMatchObject({ opcode: 'outcome', id: `p${i}`, outcome: 'delivered' });
    }
    for (let i = 1; i <= 3; i++) expect(await page.ws.nextPacket()).toMatchObject({ opcode: 'feedback', message: `m${i}`, seq: i });
    const metrics = parseSamples((await h2.request('GET', '/metrics')).body);
    expect(sampleValue(metrics, 'websock_connections', { kind: 'browser', protocol: '2', transport: 'h2' })).toBe(1);
    expect(sampleValue(metrics, 'websock_connections', { kind: 'backend', protocol: '2', transport: 'h2' })).toBe(1);
    expect(sampleValue(metrics, 'websock_connections', { kind: 'browser', protocol: '2', transport: 'h1' })).toBe(0);
    void relay;
  });

  it('serves a v1 backend on /php (Client-Type: php, Ident) that scripts reach by ident, with its FIN+opcode-0 frames mended', async () => {
    const { relay, h2 } = await setup();
    const receiver = await h2.websocket('/php', { headers: { 'client-type': 'php', ident: 'h2-receiver' } });
    expect(receiver.status).toBe(200);
    await receiver.ws.ready();
    const sender = cleanup.add(await PhpStyleClient.connect({ port: relay.port, tls }), (c) => c.destroy());
    await sender.talk({ opcode: 'feedback', ident: 'h2-receiver', message: 'script to script' });
    expect(await receiver.ws.nextPacket()).toMatchObject({ message: 'script to script' });
    // The original PHP client sends its later messages as FIN + opcode 0.
    receiver.ws.send({ opcode: 'echo', message: 'first' });
    expect(await receiver.ws.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await receiver.ws.nextPacket()).toMatchObject({ opcode: 'echo', message: 'first' });
    receiver.ws.sendFrame(0x0, Buffer.from(JSON.stringify({ opcode: 'echo', message: 'second' })));
    expect(await receiver.ws.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await receiver.ws.nextPacket()).toMatchObject({ opcode: 'echo', message: 'second' });
  });

  it('applies admission to h2 applicants as to HTTP/1.1 ones: Origin, backend IP, unknown path', async () => {
    const { h2 } = await setup({ allowedOrigins: ['https://allowed.example'], allowedIP: ['10.9.9.9'] });
    const badOrigin = await h2.websocket('/web', { headers: { origin: 'https://evil.example' } });
    expect(badOrigin.status).toBe(200);
    expect(await badOrigin.ws.nextPacket()).toMatchObject({ opcode: 'close', error: expect.stringMatching(/origin/) });
    expect((await badOrigin.ws.nextFrame()).payload.readUInt16BE(0)).toBe(1008);
    const good = await h2.websocket('/web', { headers: { origin: 'https://allowed.example' } });
    await good.ws.ready();
    const backend = await h2.websocket('/php', { headers: { 'client-type': 'php', origin: 'https://allowed.example' } });
    expect((await backend.ws.nextPacket()).error).toMatch(/backends are not allowed from/);
    const nowhere = await h2.websocket('/nowhere', { headers: { origin: 'https://allowed.example' } });
    expect((await nowhere.ws.nextPacket()).error).toBe('no resource at /nowhere');
  });

  it('refuses CONNECT without :protocol websocket and a wrong version in HTTP, and the connection stays usable', async () => {
    const { h2 } = await setup();
    const tunnel = h2.session.request({ ':method': 'CONNECT', ':authority': 'example.org:443' });
    const tunnelStatus = await new Promise((resolve) => tunnel.once('response', (h) => resolve(h[':status'])));
    expect(tunnelStatus).toBe(405);
    expect((await h2.websocket('/web', { headers: { ':protocol': 'webtransport' } })).status).toBe(501);
    const old = await h2.websocket('/web', { headers: { 'sec-websocket-version': '8' } });
    expect(old.status).toBe(400);
    expect(old.headers['sec-websocket-version']).toBe('13');
    const page = await h2.websocket('/web');
    await page.ws.ready();
  });

  it('carries several WebSockets on one connection: pages and a backend, each gets its own traffic', async () => {
    const { h2 } = await setup();
    const pages = await Promise.all(Array.from({ length: 5 }, () => h2.websocket('/web', { protocols: ['websock.v2'] })));
    for (const page of pages) await page.ws.ready();
    expect(new Set(pages.map((p) => p.ws.uuid)).size).toBe(5);
    const backend = await h2.websocket('/php', { protocols: ['websock.v2'], headers: { 'client-type': 'php' } });
    await backend.ws.ready();
    pages.forEach((page, i) => backend.ws.send({ opcode: 'feedback', uuid: page.ws.uuid, message: `for ${i}`, id: String(i) }));
    for (let i = 0; i < pages.length; i++) expect((await backend.ws.nextPacket()).outcome).toBe('delivered');
    for (const [i, page] of pages.entries()) expect(await page.ws.nextPacket()).toMatchObject({ message: `for ${i}` });
    // A broadcast from one page reaches the others, not itself.
    pages[0]!.ws.send({ opcode: 'broadcast', message: 'to all' });
    for (const page of pages.slice(1)) expect(await page.ws.nextPacket()).toMatchObject({ opcode: 'broadcast', message: 'to all' });
  });

  it('answers pings with pongs, pings pages and evicts one that does not pong, and closes with the codes of HTTP/1.1', async () => {
    const { h2 } = await setup({ pingIntervalMs: 300 });
    const page = await h2.websocket('/web');
    await page.ws.ready();
    page.ws.sendFrame(0x9, Buffer.from('are you there'));
    let frame = await page.ws.nextFrame();
    while (frame.opcode === 0x9) frame = await page.ws.nextFrame();
    expect(frame.opcode).toBe(0xa);
    expect(frame.text).toBe('are you there');
    // The relay pings: nextPacket answers, so the page stays through several rounds.
    const relayPing = await page.ws.nextFrame(3_000);
    expect(relayPing.opcode).toBe(0x9);
    page.ws.sendFrame(0xa, relayPing.payload);
    // A silent page is evicted (its stream reset or ended) within two rounds.
    const silent = await h2.websocket('/web');
    await silent.ws.ready();
    await silent.ws.closed(5_000);
    // Invalid JSON closes with 1007, as over HTTP/1.1; the stream ends cleanly.
    const bad = await h2.websocket('/web');
    await bad.ws.ready();
    bad.ws.sendText('{not json');
    let closing = await bad.ws.nextFrame();
    while (closing.opcode !== 0x8) closing = await bad.ws.nextFrame();
    expect(closing.payload.readUInt16BE(0)).toBe(1007);
    bad.ws.sendClose(1007);
    bad.ws.stream.end();
    await bad.ws.closed();
    // A client close: the relay answers with the same code and the connection goes on.
    const leaving = await h2.websocket('/web');
    await leaving.ws.ready();
    leaving.ws.sendClose(4321, 'bye');
    let answer = await leaving.ws.nextFrame();
    while (answer.opcode !== 0x8) answer = await leaving.ws.nextFrame();
    expect(answer.payload.readUInt16BE(0)).toBe(4321);
    expect(h2.session.destroyed).toBe(false);
  });

  it('delivers a 16 MiB message in both directions', async () => {
    const { h2 } = await setup();
    const page = await h2.websocket('/web', { protocols: ['websock.v2'] });
    await page.ws.ready();
    const big = 'x'.repeat(16 * 1024 * 1024 - 200);
    page.ws.send({ opcode: 'echo', message: big });
    const echoed = await page.ws.nextPacket(20_000);
    expect(echoed.opcode).toBe('echo');
    expect((echoed.message as string).length).toBe(big.length);
  });
});

describe('edge limits apply to h2 applicants', () => {
  it('the handshake rate limit answers excess Extended CONNECTs with 429 and Retry-After; the connection stays usable', async () => {
    const relay = cleanup.add(
      await startRelay({
        address: parseAddress('ws://127.0.0.1:0'),
        http2: true,
        allowedIP: ['127.0.0.1'],
        handshakeRate: 1,
        handshakeBurst: 3,
      }),
      (r) => r.stop(),
    );
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port, localAddress: '127.0.0.2' }), (c) => c.close());
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 8 }, () => h2.websocket('/web')));
    const allowed = 3 + Math.ceil((Date.now() - started) / 1000);
    const opened = answers.filter((a) => a.status === 200).length;
    expect(opened).toBeGreaterThanOrEqual(3);
    expect(opened).toBeLessThanOrEqual(allowed);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBe(8 - opened);
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await h2.request('GET', '/health')).status).toBe(200);
    // Not limited: our own backends' address.
    const own = cleanup.add(await H2Connection.open({ port: relay.port }), (c) => c.close());
    for (let i = 0; i < 6; i++) expect((await own.websocket('/web')).status).toBe(200);
  });

  it('maxPerIP counts h2 streams like HTTP/1.1 connections', async () => {
    const relay = cleanup.add(await startRelay({ address: parseAddress('ws://127.0.0.1:0'), http2: true, maxPerIP: 2 }), (r) => r.stop());
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port }), (c) => c.close());
    for (let i = 0; i < 2; i++) await (await h2.websocket('/web')).ws.ready();
    const third = await h2.websocket('/web');
    expect((await third.ws.nextPacket()).opcode).toBe('close');
    // A refused stream is let go (ended, then cut within a second), its connection stays.
    await third.ws.closed(5_000);
    expect(h2.session.destroyed).toBe(false);
  });
});

describe('HTTP/1.1 on the same TLS port as HTTP/2', () => {
  it('serves ws clients and PHP-style backends (padded 101) over TLS beside an h2 page', async () => {
    const relay = cleanup.add(
      await startRelay({ address: parseAddress('wss://127.0.0.1:0'), certFile: cert.certFile, pkFile: cert.pkFile }),
      (r) => r.stop(),
    );
    const h1Page = cleanup.add(await PageClient.connect(relay.url('/web'), { ca: readFileSync(cert.certFile) }), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, tls: true }), (c) => c.destroy());
    // The PHP reader's first fread(1024) ends exactly at the end of the padded 101.
    expect(backend.response.length + 4).toBe(1024);
    const h2 = cleanup.add(await H2Connection.open({ port: relay.port, tls: true, ca: readFileSync(cert.certFile) }), (c) => c.close());
    const h2Page = await h2.websocket('/web');
    await h2Page.ws.ready();
    await backend.talk({ opcode: 'feedback', uuid: h1Page.uuid, message: 'to h1' });
    await backend.talk({ opcode: 'feedback', uuid: h2Page.ws.uuid, message: 'to h2' });
    expect((await h1Page.nextPacket()).message).toBe('to h1');
    expect((await h2Page.ws.nextPacket()).message).toBe('to h2');
  });

  it('a plain port without http2 does not speak h2 (the preface is HTTP/1.1 garbage there), so http2 = auto is off on ws://', async () => {
    const relay = cleanup.add(await startRelay({ address: parseAddress('ws://127.0.0.1:0') }), (r) => r.stop());
    await expect(H2Connection.open({ port: relay.port, timeoutMs: 2_000 })).rejects.toThrow();
  });
});
