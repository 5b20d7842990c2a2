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
  it('the uuid opcode cannot take a resumable session (the uuid alone is an address, not a credential); its page resumes it', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const publish = await v2Publisher(relay.url('/php'));
    const gone = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    gone.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    const v2 = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    v2.send({ opcode: 'uuid', message: gone.uuid, id: 'adopt' });
    expect(await v2.nextPacket()).toMatchObject({ opcode: 'error', id: 'adopt', code: 'UUID_TAKEN' });
    const v1 = cleanup.add(await PageClient.connect(relay.url('/')), (p) => p.close());
    v1.send({ opcode: 'uuid', message: gone.uuid });
    expect(await v1.nextPacket()).toMatchObject({ opcode: 'next' });
    expect(await publish({ uuid: gone.uuid }, 'for the page that went away')).toBe('held');
    const back = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    back.send({ opcode: 'resume', uuid: gone.uuid, resumeToken: gone.resumeToken, lastSeq: 0 });
    expect(await back.nextPacket()).toMatchObject({ opcode: 'resumed', recovered: true, lastSeq: 1 });
    expect(await back.nextPacket()).toMatchObject({ seq: 1, message: 'for the page that went away' });
  });

  it('a page adopts the uuid of a v1 page that went away (it has no session) and gets its feedback live', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const publish = await v2Publisher(relay.url('/php'));
    const gone = cleanup.add(await PageClient.connect(relay.url('/')), (p) => p.close());
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
