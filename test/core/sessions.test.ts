import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

async function v2Publisher(url: string) {
  const publisher = cleanup.add(await PageClient.connect(url, { ...V2, headers: { 'Client-Type': 'php' } }), (p) => p.close());
  return async (to: { uuid?: string; ident?: string }, message: string) => {
    publisher.send({ opcode: 'feedback', ...to, message, id: message });
    const answer = await publisher.nextPacket();
    return answer.outcome ?? answer.code;
  };
}

describe('sessions and the uuid opcode', () => {
  it('a v2 page that adopts the uuid of a page that went away gets that uuid’s feedback, and its old session is not leaked', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const publish = await v2Publisher(relay.url('/php'));
    const gone = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    gone.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    const page = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    page.send({ opcode: 'uuid', message: gone.uuid, id: 'adopt' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'outcome', id: 'adopt', outcome: 'delivered' });
    expect(await publish({ uuid: gone.uuid }, 'to the adopter')).toBe('delivered');
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'to the adopter' });
    page.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    // Only the adopted session remains, detached, so that it expires.
    expect(relay.sessions.size).toBe(1);
    expect(relay.sessions.get(gone.uuid.split('.')[0]!)?.conn).toBeNull();
  });

  it('a v1 page that adopts the uuid of a v2 page that went away gets its feedback live', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const publish = await v2Publisher(relay.url('/php'));
    const gone = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    gone.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    const page = cleanup.add(await PageClient.connect(relay.url('/')), (p) => p.close());
    page.send({ opcode: 'uuid', message: gone.uuid });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await publish({ uuid: gone.uuid }, 'to the v1 adopter')).toBe('delivered');
    expect(await page.nextPacket()).toMatchObject({ opcode: 'feedback', message: 'to the v1 adopter' });
    expect(relay.sessions.size).toBe(0);
  });
});

describe('resume', () => {
  it('does not let a page take the uuid of a live backend', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    page.send({ opcode: 'resume', uuid: backend.uuid, lastSeq: 0 });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', code: 'RESUME_FAILED' });
    const publish = await v2Publisher(relay.url('/php'));
    expect(await publish({ uuid: backend.uuid }, 'for the backend')).toBe('delivered');
    expect(await backend.readPacket()).toMatchObject({ opcode: 'feedback', message: 'for the backend' });
  });
});
