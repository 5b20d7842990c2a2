import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A page whose TCP reads are counted: one write of the relay arrives as one read on loopback. */
async function countedPage(url: string): Promise<{ page: Awaited<ReturnType<typeof PageClient.connect>>; reads: Buffer[] }> {
  const page = cleanup.add(await PageClient.connect(url), (p) => p.close());
  const reads: Buffer[] = [];
  (page.ws as unknown as { _socket: Socket })._socket.prependListener('data', (chunk: Buffer) => reads.push(chunk));
  return { page, reads };
}

describe('broadcast batching', () => {
  it('a stop-and-wait publisher: its broadcasts within broadcastBatch reach a page in one write, the first one too', async () => {
    // A wide window so that a loaded machine cannot split the pair; the default is 2 ms.
    const relay = cleanup.add(await startRelay({ broadcastBatchMs: 300 }), (r) => r.stop());
    const { page, reads } = await countedPage(relay.url('/web'));
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, path: '/php' }), (c) => c.destroy());
    await backend.talk({ opcode: 'broadcast', message: 'one' });
    await backend.talk({ opcode: 'broadcast', message: 'two' });
    expect((await page.nextPacket()).message).toBe('one');
    expect((await page.nextPacket()).message).toBe('two');
    expect(reads).toHaveLength(1);
  });

  it('a message to a page holding broadcasts goes out at once, after them', async () => {
    const relay = cleanup.add(await startRelay({ broadcastBatchMs: 60_000 }), (r) => r.stop());
    const { page } = await countedPage(relay.url('/web'));
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, path: '/php' }), (c) => c.destroy());
    await backend.talk({ opcode: 'broadcast', message: 'held 1' });
    await backend.talk({ opcode: 'broadcast', message: 'held 2' });
    await backend.talk({ opcode: 'feedback', uuid: page.uuid, message: 'direct' });
    // All arrive long before the window ends: the direct write took the held frames with it.
    for (const message of ['held 1', 'held 2', 'direct']) expect((await page.nextPacket()).message).toBe(message);
  });

  it('a page closed by the relay gets its held broadcasts before the close', async () => {
    const relay = cleanup.add(await startRelay({ broadcastBatchMs: 60_000 }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, path: '/php' }), (c) => c.destroy());
    await backend.talk({ opcode: 'broadcast', message: 'before stop' });
    await relay.stop();
    expect((await page.nextPacket()).message).toBe('before stop');
  });
});
