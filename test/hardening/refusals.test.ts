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
