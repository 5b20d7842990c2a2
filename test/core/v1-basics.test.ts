import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('protocol v1 with a PHP-style backend', () => {
  it('routes feedback from a backend to a page by uuid, stop and wait', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    expect(page.uuid).toMatch(/^[0-9a-f-]{36}\.[0-9a-f]{32}$/);
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port, path: '/php' }), (c) => c.destroy());
    for (let i = 0; i < 20; i++) {
      await backend.talk({ opcode: 'feedback', uuid: page.uuid, ident: '', message: `step ${i}`, fromUUID: backend.uuid });
    }
    for (let i = 0; i < 20; i++) {
      const packet = await page.nextPacket();
      expect(packet).toEqual({ opcode: 'feedback', uuid: page.uuid, ident: '', message: `step ${i}`, fromUUID: backend.uuid });
    }
  });
});
