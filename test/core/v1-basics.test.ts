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

describe('the PHP client reading the 101 and ready', () => {
  it('gets ready even when the 101 and ready reach it in one piece (the original lost it)', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const client = cleanup.add(await PhpStyleClient.open({ port: relay.port }), (c) => c.destroy());
    // The script is slow to read: everything the relay sent is already there.
    await client.waitForBuffered(1024 + 10);
    await client.readHandshake();
    expect(client.response).toMatch(/^HTTP\/1\.1 101/);
    const ready = await client.readReady();
    expect(ready.opcode).toBe('ready');
    client.send(JSON.stringify({ opcode: 'echo', message: 'works' }));
    expect((await client.readPacket()).opcode).toBe('next');
  });
});
