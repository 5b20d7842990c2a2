import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const V2 = { protocols: ['websock.v2'] };
const BACKEND = { ...V2, headers: { 'Client-Type': 'php' } };

describe('routing never depends on message size', () => {
  it('an over-long ident is BAD_PACKET in a small and in a > 1 MiB message (it was ignored there, and the uuid used)', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (c) => c.close());
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), BACKEND), (c) => c.close());
    const ident = 'i'.repeat(5000);
    for (const [id, size] of [
      ['small', 10],
      ['large', 1.1 * 1024 * 1024],
    ] as const) {
      backend.send({ opcode: 'feedback', ident, uuid: page.uuid, message: 'x'.repeat(size), id });
      expect(await backend.nextPacket()).toMatchObject({
        opcode: 'error',
        id,
        code: 'BAD_PACKET',
        error: expect.stringContaining('ident'),
      });
    }
    for (const field of ['opcode', 'uuid', 'id'] as const) {
      const packet = { opcode: 'feedback', uuid: page.uuid, message: 'x'.repeat(1.1 * 1024 * 1024), id: 'q', [field]: 'f'.repeat(5000) };
      backend.send(packet);
      expect(await backend.nextPacket()).toMatchObject({ opcode: 'error', code: 'BAD_PACKET', error: expect.stringContaining(field) });
    }
    backend.send({ opcode: 'feedback', uuid: page.uuid, message: 'marker' });
    expect(await page.nextPacket()).toMatchObject({ message: 'marker' });
  });
});
