import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/**
 * The bugs these guard against hung stop() for good or for ws's 30 s close
 * timeout; a bound well below that but far above any load's delay tells the
 * two apart without timing how fast the relay stops.
 */
const HANG_MS = 15_000;

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stop() did not finish within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('stop()', () => {
  it('does not hang on a backend that was refused but not yet told', async () => {
    const relay = await startRelay({ backendReadyDelayMs: 300, allowedIP: ['192.0.2.1'] });
    const refused = cleanup.add(await PhpStyleClient.open({ port: relay.port }), (c) => c.destroy());
    await refused.readHandshake();
    await settlesWithin(relay.stop(), HANG_MS);
    await refused.closed();
  });

  it('does not wait for a refused client that never answers the close frame', async () => {
    const relay = await startRelay();
    const refused = cleanup.add(await PhpStyleClient.open({ port: relay.port, path: '/nowhere' }), (c) => c.destroy());
    await refused.readHandshake();
    expect(await refused.readPacket()).toMatchObject({ opcode: 'close' });
    await settlesWithin(relay.stop(), HANG_MS);
    await refused.closed();
  });

  it('spaces the frames still queued for a v1 backend, so its reader gets every one before the close', async () => {
    const relay = await startRelay({ backendFrameGapMs: 100, shutdownGraceMs: 3_000 });
    const receiver = cleanup.add(await PhpStyleClient.connect({ port: relay.port, ident: 'receiver' }), (c) => c.destroy());
    const sender = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    for (const m of ['a', 'b', 'c']) await sender.talk({ opcode: 'feedback', ident: 'receiver', message: m });
    const stopped = relay.stop();
    for (const m of ['a', 'b', 'c']) expect(await receiver.readPacket()).toMatchObject({ opcode: 'feedback', message: m });
    expect(await receiver.readPacket()).toEqual({ opcode: '<close-frame>', code: 1001 });
    receiver.close();
    await stopped;
  });
});
