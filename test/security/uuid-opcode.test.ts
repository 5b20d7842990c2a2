import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

describe('the uuid opcode', () => {
  it('says UUID_TAKEN (not BAD_UUID) for a signed uuid a live connection holds, BAD_UUID for one the relay did not sign', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const holder = cleanup.add(await PageClient.connect(relay.url('/')), (p) => p.close());
    const page = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    page.send({ opcode: 'uuid', message: holder.uuid, id: 'live' });
    const taken = await page.nextPacket();
    expect(taken).toMatchObject({ opcode: 'error', id: 'live', code: 'UUID_TAKEN' });
    expect(String(taken.error)).toMatch(/held by a live connection/);
    page.send({ opcode: 'uuid', message: `${holder.uuid.split('.')[0]}.00000000000000000000000000000000`, id: 'forged' });
    expect(await page.nextPacket()).toMatchObject({ opcode: 'error', id: 'forged', code: 'BAD_UUID' });
  });

  it("gives a v2 page that adopted a uuid a new ready with that uuid's resumeToken, which resumes it (the old token does not)", async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const backend = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    const gone = cleanup.add(await PageClient.connect(relay.url('/')), (p) => p.close());
    gone.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    const page = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    page.send({ opcode: 'uuid', message: gone.uuid, id: 'adopt' });
    const ready = await page.nextPacket();
    expect(ready).toMatchObject({ opcode: 'ready', uuid: gone.uuid, protocol: 2 });
    expect(typeof ready.resumeToken).toBe('string');
    expect(ready.resumeToken).not.toBe(page.resumeToken);
    expect(await page.nextPacket()).toMatchObject({ opcode: 'outcome', id: 'adopt', outcome: 'delivered' });

    page.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    backend.send({ opcode: 'feedback', uuid: gone.uuid, message: 'while away', id: 'f' });
    expect(await backend.nextPacket()).toMatchObject({ opcode: 'outcome', outcome: 'held' });
    const stale = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    stale.send({ opcode: 'resume', uuid: gone.uuid, resumeToken: page.resumeToken, lastSeq: 0 });
    expect(await stale.nextPacket()).toMatchObject({ opcode: 'error', code: 'RESUME_FAILED' });
    const back = cleanup.add(await PageClient.connect(relay.url('/'), V2), (p) => p.close());
    back.send({ opcode: 'resume', uuid: gone.uuid, resumeToken: ready.resumeToken, lastSeq: 0 });
    expect(await back.nextPacket()).toMatchObject({ opcode: 'resumed', uuid: gone.uuid, recovered: true });
    expect(await back.nextPacket()).toMatchObject({ seq: 1, message: 'while away' });
  });
});
