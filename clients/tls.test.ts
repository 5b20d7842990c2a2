import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../include/address.js';
import { Cleanup, PageClient, startRelay } from '../test/helpers/relay-fixture.js';
import { ClientError } from './client-error.js';
import { RelayClient } from './relay-client.js';
import { writeSelfSignedCert } from '../test/helpers/tls-cert.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

let dir = '';
let certFile = '';
let pkFile = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'websock-tls-'));
  certFile = join(dir, 'cert.pem');
  pkFile = join(dir, 'key.pem');
  // A self-signed certificate for localhost and 127.0.0.1.
  writeSelfSignedCert(certFile, pkFile);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startTlsRelay() {
  return cleanup.add(await startRelay({ address: parseAddress('wss://127.0.0.1:0'), certFile, pkFile }), (r) => r.stop());
}

describe('TLS (ssl:// and wss://)', () => {
  it('connects over ssl:// trusting the self-signed certificate given as CA, and delivers', async () => {
    const relay = await startTlsRelay();
    const ca = readFileSync(certFile);
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), { ca }), (p) => p.close());
    const client = cleanup.add(await RelayClient.connect(`ssl://127.0.0.1:${relay.port}/php`, { tls: { ca } }), (c) => c.terminate());
    await client.feedback(page.uuid, 'over TLS');
    expect(await page.nextPacket()).toMatchObject({ message: 'over TLS' });
  });

  it('refuses a self-signed certificate by default, saying how to allow it', async () => {
    const relay = await startTlsRelay();
    const error = await RelayClient.connect(`ssl://127.0.0.1:${relay.port}/php`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CONNECT_FAILED');
    expect((error as ClientError).message).toMatch(/self-signed|rejectUnauthorized/);
  });

  it('accepts it when rejectUnauthorized: false is asked for (wss:// scheme)', async () => {
    const relay = await startTlsRelay();
    const client = cleanup.add(
      await RelayClient.connect(`wss://127.0.0.1:${relay.port}/php`, { tls: { rejectUnauthorized: false } }),
      (c) => c.terminate(),
    );
    expect(await client.echo('x')).toBe('sent');
  });
});
