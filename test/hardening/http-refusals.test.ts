/**
 * Item 7 of the hardening issue, plain HTTP side: a refused upload's answer
 * is read by the client, and refusals cost the relay little.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawSocket } from '../helpers/raw-socket.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * Upload `mib` MiB to /feedback the way PHP's fwrite-then-fread or curl
 * does: the whole body first, and only then read the answer.
 */
async function uploadThenRead(port: number, mib: number): Promise<{ head: string; error: string | null }> {
  const raw = cleanup.add(await RawSocket.open(port), (s) => s.destroy());
  raw.socket.pause();
  raw.write(
    `POST /feedback HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s\r\nContent-Type: application/json\r\nContent-Length: ${mib * 1024 * 1024}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  await new Promise<void>((resolve) => {
    let sent = 0;
    const pump = (): void => {
      while (sent < mib && !raw.socket.destroyed) {
        sent++;
        if (!raw.socket.write(chunk)) {
          raw.socket.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    raw.socket.once('close', () => resolve());
    pump();
  });
  raw.socket.resume();
  await raw.closed(10_000);
  return { head: raw.data.toString('latin1').split('\r\n\r\n')[0] ?? '', error: raw.error?.code ?? null };
}

describe('refused uploads', () => {
  it('a fast 100 MiB upload to a 16 MiB limit reads its 413 (twice)', async () => {
    const relay = cleanup.add(await startRelay({ publishSecret: 's' }), (r) => r.stop());
    for (let i = 0; i < 2; i++) {
      const answer = await uploadThenRead(relay.port, 100);
      expect(answer.error).toBeNull();
      expect(answer.head).toMatch(/^HTTP\/1\.1 413 /);
    }
  });
});
