import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

describe('resume positions carry the epoch', () => {
  it('ready tells a v2 page its epoch; a resume from another epoch is not recovered, one from the same epoch is', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const publisher = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    page.close();
    const raw = cleanup.add(new WebSocket(relay.url('/web'), ['websock.v2']), (ws) => ws.terminate());
    const [data] = (await once(raw, 'message')) as [Buffer];
    const ready = JSON.parse(data.toString()) as { uuid: string; epoch?: string };
    expect(ready.epoch).toBe(relay.sessions.get(ready.uuid.split('.')[0]!)?.epoch);
    await expect.poll(() => relay.sessions.get(page.uuid.split('.')[0]!)?.conn === null).toBe(true);
    const epoch = relay.sessions.get(page.uuid.split('.')[0]!)!.epoch;
    for (const message of ['one', 'two']) {
      publisher.send({ opcode: 'feedback', uuid: page.uuid, message, id: message });
      expect(await publisher.nextPacket()).toMatchObject({ opcode: 'outcome', outcome: 'held' });
    }

    const wrong = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    wrong.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 0, epoch: 'not-this-log' });
    expect(await wrong.nextPacket()).toEqual({
      opcode: 'resumed',
      uuid: page.uuid,
      resumeToken: page.resumeToken,
      recovered: false,
      lastSeq: 2,
      epoch,
    });
    wrong.close();
    await expect.poll(() => relay.sessions.get(page.uuid.split('.')[0]!)?.conn === null).toBe(true);

    const right = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    right.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 0, epoch });
    expect(await right.nextPacket()).toEqual({
      opcode: 'resumed',
      uuid: page.uuid,
      resumeToken: page.resumeToken,
      recovered: true,
      lastSeq: 2,
      epoch,
    });
    expect(await right.nextPacket()).toMatchObject({ seq: 1, message: 'one' });
    expect(await right.nextPacket()).toMatchObject({ seq: 2, message: 'two' });
  });

  it('a forgotten session comes back under a new epoch', async () => {
    const relay = cleanup.add(await startRelay({ retentionAgeMs: 0 }), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const epoch = relay.sessions.get(page.uuid.split('.')[0]!)!.epoch;
    page.close();
    await expect.poll(() => relay.sessions.size, { timeout: 3_000 }).toBe(0);
    const again = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    again.send({ opcode: 'resume', uuid: page.uuid, resumeToken: page.resumeToken, lastSeq: 5, epoch });
    const resumed = await again.nextPacket();
    expect(resumed).toMatchObject({ opcode: 'resumed', uuid: page.uuid, recovered: false, lastSeq: 0 });
    expect(resumed.epoch).toEqual(expect.any(String));
    expect(resumed.epoch).not.toBe(epoch);
  });
});
