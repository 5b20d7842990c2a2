import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Connect and return the first message and the close code (for refused clients). */
function refused(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<{ first: string; code: number }> {
  const ws = cleanup.add(new WebSocket(url, options), (w) => w.terminate());
  return new Promise((resolve, reject) => {
    let first = '';
    ws.once('message', (d: Buffer) => (first = d.toString()));
    ws.once('close', (code: number) => resolve({ first, code }));
    ws.once('error', reject);
  });
}

describe('admission limits', () => {
  it('accepts backends only from allowedIP, and tells a refused one why', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['192.0.2.1'] }), (r) => r.stop());
    const client = cleanup.add(await PhpStyleClient.open({ port: relay.port }), (c) => c.destroy());
    await client.readHandshake();
    const packet = await client.readPacket();
    expect(packet.opcode).toBe('close');
    expect(String(packet.error)).toMatch(/backends are not allowed from 127\.0\.0\.1/);
    // Browsers are not subject to allowedIP.
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
  });

  it('limits browsers by Origin when allowedOrigins is set', async () => {
    const relay = cleanup.add(await startRelay({ allowedOrigins: ['https://app.example'] }), (r) => r.stop());
    const bad = await refused(relay.url('/web'), { origin: 'https://evil.example' });
    expect(JSON.parse(bad.first)).toEqual({ opcode: 'close', error: "the page's origin is not in allowedOrigins" });
    expect(bad.code).toBe(1008);
    const none = await refused(relay.url('/web'));
    expect(JSON.parse(none.first).error).toBe('the page sent no Origin; allowedOrigins requires one');
    cleanup.add(await PageClient.connect(relay.url('/web'), { origin: 'https://app.example' }), (p) => p.close());
    // Backends do not need an Origin.
    cleanup.add(await PhpStyleClient.connect({ port: relay.port, headers: { Origin: null } }), (c) => c.destroy());
  });

  it('enforces maxClients with 1013', async () => {
    const relay = cleanup.add(await startRelay({ maxClients: 2 }), (r) => r.stop());
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const third = await refused(relay.url('/web'));
    expect(third.code).toBe(1013);
    expect(JSON.parse(third.first).error).toMatch(/full/);
  });

  it('enforces maxPerIP, using X-Forwarded-For only from trusted proxies', async () => {
    const relay = cleanup.add(await startRelay({ maxPerIP: 1, trustedProxies: ['127.0.0.1'] }), (r) => r.stop());
    const viaProxy = (ip: string) => ({ headers: { 'X-Forwarded-For': `${ip}, 127.0.0.1` } });
    cleanup.add(await PageClient.connect(relay.url('/web'), viaProxy('198.51.100.7')), (p) => p.close());
    const second = await refused(relay.url('/web'), viaProxy('198.51.100.7'));
    expect(JSON.parse(second.first).error).toBe('too many connections from 198.51.100.7 (limit 1)');
    cleanup.add(await PageClient.connect(relay.url('/web'), viaProxy('198.51.100.8')), (p) => p.close());
  });

  it('ignores X-Forwarded-For from anyone not trusted', async () => {
    const relay = cleanup.add(await startRelay({ maxPerIP: 1 }), (r) => r.stop());
    cleanup.add(await PageClient.connect(relay.url('/web'), { headers: { 'X-Forwarded-For': '198.51.100.1' } }), (p) => p.close());
    const second = await refused(relay.url('/web'), { headers: { 'X-Forwarded-For': '198.51.100.2' } });
    expect(JSON.parse(second.first).error).toBe('too many connections from 127.0.0.1 (limit 1)');
  });

  it('does not let a forwarded outside address pass as an allowed backend', async () => {
    const relay = cleanup.add(await startRelay({ trustedProxies: ['127.0.0.1'] }), (r) => r.stop());
    const client = cleanup.add(await PhpStyleClient.open({ port: relay.port, headers: { 'X-Forwarded-For': '203.0.113.9' } }), (c) =>
      c.destroy(),
    );
    await client.readHandshake();
    expect(String((await client.readPacket()).error)).toMatch(/not allowed from 203\.0\.113\.9/);
  });
});

describe('handshake guards', () => {
  it('drops a socket that sends nothing, and one that sends half a request', async () => {
    const relay = cleanup.add(await startRelay({ handshakeTimeoutMs: 1_000 }), (r) => r.stop());
    const silent = cleanup.add(connect(relay.port, '127.0.0.1'), (s) => s.destroy());
    const half = cleanup.add(connect(relay.port, '127.0.0.1'), (s) => s.destroy());
    half.write('GET /web HTTP/1.1\r\nHost: x\r\n');
    // Read (and discard) so the client side sees the server's FIN.
    await Promise.all([silent, half].map((s) => new Promise((resolve) => s.on('close', resolve).resume())));
    // The relay still serves others.
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
  });

  it('answers garbage with 400 and an oversized head with 431', async () => {
    const relay = cleanup.add(await startRelay({ maxHeaderBytes: 2048 }), (r) => r.stop());
    const answer = (bytes: string) =>
      new Promise<string>((resolve) => {
        const s = cleanup.add(connect(relay.port, '127.0.0.1'), (x) => x.destroy());
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', () => {});
        s.write(bytes);
      });
    expect(await answer('\x16\x03\x01 this is not http\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await answer(`GET /web HTTP/1.1\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
  });

  it('answers a plain HTTP request with a short page', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const res = await fetch(relay.httpUrl('/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/websock-relay/);
    const missing = await fetch(relay.httpUrl('/nothing-here'));
    expect(missing.status).toBe(404);
  });
});

describe('message size', () => {
  it('closes a client whose message is over maxMessageBytes with 1009, others unaffected', async () => {
    const relay = cleanup.add(await startRelay({ maxMessageBytes: 1024 * 1024 }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const big = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    big.send({ opcode: 'echo', message: 'y'.repeat(1024 * 1024 + 10) });
    expect(await big.closed()).toBe(1009);
    page.send({ opcode: 'echo', message: 'fine' });
    expect((await page.nextPacket()).opcode).toBe('next');
    expect((await page.nextPacket()).message).toBe('fine');
  });

  it('counts chunked bytes against maxMessageBytes too', async () => {
    const relay = cleanup.add(await startRelay({ maxMessageBytes: 100_000 }), (r) => r.stop());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    await backend.talk('bufferON');
    await backend.talk('z'.repeat(60_000));
    backend.send('z'.repeat(60_000));
    const answer = await backend.readPacket();
    expect(String(answer.error)).toMatch(/exceeds the maximum message size/);
  });
});
