import { afterEach, describe, expect, it } from 'vitest';
import { RelayClient } from '../../clients/relay-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

/**
 * Resume needs its own secret: whoever learns a page's signed uuid (it is
 * handed out as `from`/`fromUUID`) can neither resume its session nor kick
 * the page off. The outsider is a page on 127.0.0.2.
 */
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const V2 = { protocols: ['websock.v2'] };
const OUTSIDER = { ...V2, localAddress: '127.0.0.2' };

describe('resume needs the resumeToken, not just the uuid', () => {
  it('ready gives a v2 page its token; it is never in a forwarded packet; the uuid alone neither resumes nor displaces', async () => {
    const relay = cleanup.add(await startRelay({ allowedIP: ['127.0.0.1'] }), (r) => r.stop());
    const victim = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (c) => c.close());
    const outsider = cleanup.add(await PageClient.connect(relay.url('/web'), OUTSIDER), (c) => c.close());
    expect(victim.resumeToken).toMatch(/^[\w-]{43}$/);
    expect(victim.resumeToken).not.toBe(outsider.resumeToken);

    // The victim replies to the outsider, handing out its signed uuid as the original clients do.
    victim.send({ opcode: 'feedback', uuid: outsider.uuid, message: 'hi', from: victim.uuid });
    const forwarded = await outsider.next();
    expect(JSON.parse(forwarded)).toMatchObject({ from: victim.uuid });
    expect(forwarded).not.toContain(victim.resumeToken);

    for (const resumeToken of [undefined, 'wrong', outsider.resumeToken]) {
      outsider.send({ opcode: 'resume', uuid: victim.uuid, resumeToken, lastSeq: 0, id: 'r' });
      expect(await outsider.nextPacket()).toMatchObject({ opcode: 'error', id: 'r', code: 'RESUME_FAILED' });
    }
    // The victim was not kicked off and still gets its messages.
    const backend = cleanup.add(await RelayClient.connect(relay.url('/php')), (c) => c.terminate());
    expect(await backend.feedback(victim.uuid, 'still yours')).toBe('delivered');
    expect(await victim.nextPacket()).toMatchObject({ message: 'still yours' });
    expect(victim.closeCode).toBeNull();

    // Away, its session is still not the outsider's, by resume or by the uuid opcode.
    victim.close();
    await expect.poll(() => relay.sessions.get(victim.uuid.split('.')[0]!)?.conn ?? null).toBeNull();
    outsider.send({ opcode: 'resume', uuid: victim.uuid, lastSeq: 0, id: 'r2' });
    expect(await outsider.nextPacket()).toMatchObject({ opcode: 'error', id: 'r2', code: 'RESUME_FAILED' });
    outsider.send({ opcode: 'uuid', message: victim.uuid, id: 'u' });
    expect(await outsider.nextPacket()).toMatchObject({ opcode: 'error', id: 'u', code: 'UUID_TAKEN' });
    expect(await backend.feedback(victim.uuid, 'kept for the page')).toBe('held');

    // The page itself, with its token, gets everything back.
    const back = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (c) => c.close());
    back.send({ opcode: 'resume', uuid: victim.uuid, resumeToken: victim.resumeToken, lastSeq: 1 });
    expect(await back.nextPacket()).toEqual({
      opcode: 'resumed',
      uuid: victim.uuid,
      resumeToken: victim.resumeToken,
      recovered: true,
      lastSeq: 2,
    });
    expect(await back.nextPacket()).toMatchObject({ seq: 2, message: 'kept for the page' });
  });

  it('no resumeToken for v1 pages and backends (they cannot resume)', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const v1 = cleanup.add(await PageClient.connect(relay.url('/web')), (c) => c.close());
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (c) =>
      c.close(),
    );
    expect(v1.resumeToken).toBe('');
    expect(backend.resumeToken).toBe('');
  });

  it('the Node client resumes with its token after a reconnect', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(
      await RelayClient.connect(relay.url('/web'), { clientType: null, reconnect: { initialMs: 20, maxMs: 50 } }),
      (c) => c.terminate(),
    );
    const uuid = page.uuid;
    const reconnected = new Promise<{ resumed: boolean; recovered: boolean }>((resolve) => page.once('reconnect', resolve));
    for (const conn of relay.hub.all()) conn.terminate();
    expect(await reconnected).toMatchObject({ resumed: true, recovered: true });
    expect(page.uuid).toBe(uuid);
    // And once more: the token from `resumed` is kept for the next time.
    const again = new Promise<{ resumed: boolean }>((resolve) => page.once('reconnect', resolve));
    for (const conn of relay.hub.all()) conn.terminate();
    expect(await again).toMatchObject({ resumed: true });
    expect(page.uuid).toBe(uuid);
  });
});
