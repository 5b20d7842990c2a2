import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from '../include/address.js';
import type { Relay } from '../server/relay.js';
import { Cleanup, startRelay } from '../test/helpers/relay-fixture.js';
import type { ReconnectInfo } from './client-events.js';
import type { ReceivedPacket } from './packets.js';
import { RelayClient } from './relay-client.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Drop, from the relay's side, the connection that has this uuid (a network blip). */
function cut(relay: Relay, uuid: string): void {
  for (const conn of relay.hub.all()) if (conn.uuid === uuid) conn.terminate();
}

/** A Node client acting as a page (no Client-Type: php) on /web, collecting what it gets. */
async function page(relay: Relay, reconnect = { initialMs: 200, maxMs: 200, jitter: 0 }) {
  const client = cleanup.add(await RelayClient.connect(relay.url('/web'), { clientType: null, reconnect }), (c) => c.terminate());
  const got: ReceivedPacket[] = [];
  client.on('message', (packet) => got.push(packet));
  return { client, got };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('resume after a reconnect (v2)', () => {
  it('gets its uuid back and every message sent meanwhile, in order, once', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const { client, got } = await page(relay);
    expect(client.protocol).toBe(2);
    const uuid = client.uuid;
    const backend = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    for (let i = 0; i < 5; i++) expect(await backend.feedback(uuid, `m${i}`)).toBe('delivered');
    await until(() => got.length === 5, 'the first five');

    const disconnected = once(client, 'disconnect');
    cut(relay, uuid);
    await disconnected;
    const away: string[] = [];
    for (let i = 5; i < 10; i++) away.push(await backend.feedback(uuid, `m${i}`));
    expect(away).toEqual(Array(5).fill('held'));

    const [info] = (await once(client, 'reconnect')) as [ReconnectInfo];
    expect(info).toMatchObject({ resumed: true, recovered: true, previousUuid: uuid, uuid });
    expect(client.uuid).toBe(uuid);
    expect(await backend.feedback(uuid, 'm10')).toBe('delivered');
    await until(() => got.length >= 11, 'all eleven');
    expect(got.map((p) => p.message)).toEqual(Array.from({ length: 11 }, (_, i) => `m${i}`));
    expect(got.map((p) => p.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });

  it('says recovered: false when the gap exceeds retention, and still gets the latest progress', async () => {
    const relay = cleanup.add(await startRelay({ retentionCount: 3 }), (r) => r.stop());
    const { client, got } = await page(relay);
    const uuid = client.uuid;
    const backend = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    const disconnected = once(client, 'disconnect');
    cut(relay, uuid);
    await disconnected;
    for (let done = 1; done <= 10; done++) await backend.progress(uuid, { job: 'j', done, total: 10 });
    const [info] = (await once(client, 'reconnect')) as [ReconnectInfo];
    expect(info).toMatchObject({ resumed: true, recovered: false, uuid });
    await until(() => got.some((p) => (p.progress as { done?: number } | undefined)?.done === 10), 'the latest progress');
    expect(got.filter((p) => (p.progress as { done?: number } | undefined)?.done !== 10)).toEqual([]);
  });

  it('after a relay restart (sessions gone, same secret) the numbering starts over and nothing is dropped as a duplicate', async () => {
    const first = await startRelay();
    const port = first.port;
    const { client, got } = await page(first);
    const uuid = client.uuid;
    const before = await RelayClient.connect(first.url('/php'));
    for (let i = 0; i < 3; i++) expect(await before.feedback(uuid, `old${i}`)).toBe('delivered');
    await until(() => got.length === 3, 'the first three');
    before.terminate();
    await first.stop();
    const second = cleanup.add(await startRelay({ address: parseAddress(`ws://127.0.0.1:${port}`) }), (r) => r.stop());
    const [info] = (await once(client, 'reconnect')) as [ReconnectInfo];
    expect(info).toMatchObject({ resumed: true, recovered: false, uuid });
    const backend = cleanup.add(await RelayClient.connect(second.url('/php')), (c) => c.terminate());
    expect(await backend.feedback(uuid, 'new0')).toBe('delivered');
    await until(() => got.length === 4, 'the message after the restart');
    expect(got[3]).toMatchObject({ message: 'new0', seq: 1 });
  });

  it('a backend reconnects without resuming: it is not a page', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const backend = cleanup.add(
      await RelayClient.connect(relay.url('/php'), { ident: 'worker', reconnect: { initialMs: 20, maxMs: 20 } }),
      (c) => c.terminate(),
    );
    const uuid = backend.uuid;
    cut(relay, uuid);
    const [info] = (await once(backend, 'reconnect')) as [ReconnectInfo];
    expect(info.resumed).toBe(false);
    expect(backend.uuid).not.toBe(uuid);
    expect(await backend.echo('fine')).toBe('sent');
  });
});
