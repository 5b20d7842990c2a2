import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../include/address.js';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
let cert: ReturnType<typeof makeSelfSignedCert>;
beforeAll(() => {
  cert = makeSelfSignedCert();
});
afterAll(() => cert.remove());

describe.each(['ssl', 'wss'])('TLS listener (%s://)', (scheme) => {
  it('serves a page over wss and a PHP-style backend over TLS, by uuid and by ident', async () => {
    const relay = cleanup.add(
      await startRelay({ address: parseAddress(`${scheme}://127.0.0.1:0`), certFile: cert.certFile, pkFile: cert.pkFile }),
      (r) => r.stop(),
    );
    expect(relay.url('/web')).toMatch(/^wss:/);
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { ca: readFileSync(cert.certFile) }), (p) => p.close());
    const receiver = cleanup.add(await PhpStyleClient.connect({ port: relay.port, tls: true, ident: 'tls-receiver' }), (c) => c.destroy());
    const sender = cleanup.add(await PhpStyleClient.connect({ port: relay.port, tls: true }), (c) => c.destroy());
    await sender.talk({ opcode: 'feedback', uuid: page.uuid, message: 'over tls', fromUUID: sender.uuid });
    expect((await page.nextPacket()).message).toBe('over tls');
    await sender.talk({ opcode: 'feedback', ident: 'tls-receiver', message: 'script to script' });
    expect((await receiver.readPacket()).message).toBe('script to script');
    sender.close();
  });
});
