/**
 * Item 7 of the hardening issue: refusals cost nothing. A refused client is
 * told why in the original's close packet, then its socket is no longer
 * read and is cut within a second, whatever it keeps sending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMaskedFrame } from '../helpers/php-style-client.js';
import { parseServerBytes, RawSocket, upgradeRequest } from '../helpers/raw-socket.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Write `total` bytes of small text frames as fast as the socket takes them; resolves with the bytes the kernel accepted. */
function flood(raw: RawSocket, total: number): Promise<number> {
  const frame = encodeMaskedFrame(1, Buffer.alloc(1000, 'x'), true);
  const batch = Buffer.concat(Array.from({ length: 64 }, () => frame));
  return new Promise((resolve) => {
    let accepted = 0;
    const pump = (): void => {
      while (accepted < total && !raw.socket.destroyed) {
        const more = raw.socket.write(batch, (error) => {
          if (!error) accepted += batch.length;
        });
        if (!more) {
          raw.socket.once('drain', pump);
          return;
        }
      }
      resolve(accepted);
    };
    raw.socket.once('close', () => resolve(accepted));
    pump();
  });
}

describe('refused clients', () => {
  it('get the close packet, are not read any more and are cut within a second', async () => {
    const relay = cleanup.add(await startRelay({ allowedOrigins: ['https://app.example'] }), (r) => r.stop());
    const raw = cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy());
    raw.write(upgradeRequest('/web', { Origin: 'https://evil.example' }));
    await raw.until(() => parseServerBytes(raw.data).frames.length >= 1);
    expect(JSON.parse(parseServerBytes(raw.data).frames[0]!.text)).toEqual({
      opcode: 'close',
      error: "the page's origin is not in allowedOrigins",
    });
    // It never answers the close frame and sends 64 MiB: a relay reading it would take it all.
    const accepted = flood(raw, 64 * 1024 * 1024);
    // ws alone waits 30 s for the close frame; the relay cuts after one.
    expect(await raw.closed(5_000)).toBe(true);
    // What the kernel buffers took before the cut, far from 64 MiB: the relay read none of it.
    expect(await accepted).toBeLessThan(24 * 1024 * 1024);
    cleanup.add(await PageClient.connect(relay.url('/web'), { origin: 'https://app.example' }), (p) => p.close());
  });
});

describe('handshake rate limit', () => {
  it('answers an outsider past handshakeBurst with 429 before the upgrade; allowedIP is not limited', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['127.0.0.1'], handshakeRate: 1, handshakeBurst: 3 }), (r) => r.stop());
    // Eight upgrades at once: the burst passes, the rest is refused. The bucket refills at one a second,
    // so a slow machine lets one more through per second the test takes, never all.
    const started = Date.now();
    const sockets = await Promise.all(Array.from({ length: 8 }, () => RawSocket.open(relay.port, '127.0.0.2')));
    for (const raw of sockets) cleanup.add(raw, (s) => s.destroy());
    for (const raw of sockets) raw.write(upgradeRequest('/web'));
    const answers = await Promise.all(
      sockets.map(async (raw) => {
        await raw.until(() => raw.data.includes('\r\n\r\n'));
        return raw.data.toString('latin1').split('\r\n')[0]!;
      }),
    );
    const allowed = 3 + Math.ceil((Date.now() - started) / 1000);
    const upgraded = answers.filter((line) => line.startsWith('HTTP/1.1 101')).length;
    expect(upgraded).toBeGreaterThanOrEqual(3);
    expect(upgraded).toBeLessThanOrEqual(allowed);
    expect(answers.filter((line) => line === 'HTTP/1.1 429 Too Many Requests').length).toBe(8 - upgraded);
    // The 429 says when to retry, and the socket is closed.
    const raw = cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy());
    raw.write(upgradeRequest('/web'));
    expect(await raw.closed()).toBe(true);
    expect(raw.data.toString('latin1')).toMatch(/^HTTP\/1\.1 429 [^]*\r\nRetry-After: \d+\r\n[^]*"code":"RATE_LIMITED"/);
    // Our own backends' address is not limited.
    for (let i = 0; i < 6; i++) {
      cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    }
  });
});

describe('plain HTTP connections per IP', () => {
  it('an outsider holding maxHttpPerIP idle connections gets 429 for the next; closing one frees a place', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['127.0.0.1'], maxHttpPerIP: 3 }), (r) => r.stop());
    const held: RawSocket[] = [];
    for (let i = 0; i < 3; i++) held.push(cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy()));
    const extra = cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy());
    expect(await extra.closed()).toBe(true);
    expect(extra.data.toString('latin1')).toMatch(/^HTTP\/1\.1 429 /);
    // The held ones still work.
    held[0]!.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await held[0]!.until(() => held[0]!.data.includes('\r\n\r\n'));
    expect(held[0]!.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    held[1]!.destroy();
    // The relay sees the close asynchronously: retry until a new connection is admitted.
    await expect
      .poll(
        async () => {
          const next = cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy());
          next.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
          await next.until(() => next.data.includes('\r\n\r\n') || next.ended);
          return next.data.toString('latin1').split('\r\n')[0];
        },
        { timeout: 5_000 },
      )
      .toBe('HTTP/1.1 200 OK');
    // Loopback 127.0.0.1 is in allowedIP: not capped.
    const own: RawSocket[] = [];
    for (let i = 0; i < 5; i++) own.push(cleanup.add(await RawSocket.open(relay.port), (s) => s.destroy()));
    own[4]!.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await own[4]!.until(() => own[4]!.data.includes('\r\n\r\n'));
    expect(own[4]!.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('a WebSocket no longer counts as a plain HTTP connection', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['127.0.0.1'], maxHttpPerIP: 1 }), (r) => r.stop());
    for (let i = 0; i < 3; i++) {
      const raw = cleanup.add(await RawSocket.open(relay.port, '127.0.0.2'), (s) => s.destroy());
      raw.write(upgradeRequest('/web'));
      await raw.until(() => parseServerBytes(raw.data).frames.length > 0);
      expect(raw.data.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    }
  });
});
