import { afterEach, describe, expect, it } from 'vitest';
import { PhpStyleClient } from '../helpers/php-style-client.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
const V2 = { protocols: ['websock.v2'] };

describe('protocol v2', () => {
  it('negotiates websock.v2, pipelines without next, answers each id with its outcome', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const publisher = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    expect(publisher.ws.protocol).toBe('websock.v2');
    const n = 1_000;
    for (let i = 1; i <= n; i++) publisher.send({ opcode: 'feedback', uuid: page.uuid, message: `m${i}`, id: i });
    for (let i = 1; i <= n; i++) expect(await publisher.nextPacket()).toEqual({ opcode: 'outcome', id: i, outcome: 'delivered' });
    for (let i = 1; i <= n; i++) {
      const packet = await page.nextPacket();
      expect(packet.seq).toBe(i);
      expect(packet.message).toBe(`m${i}`);
    }
  });

  it('reports unknown recipients and unknown opcodes as errors and stays open', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const c = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) => p.close());
    c.send({ opcode: 'feedback', uuid: 'nobody', message: 'x', id: 'a' });
    expect(await c.nextPacket()).toEqual({ opcode: 'outcome', id: 'a', outcome: 'unknown' });
    c.send({ opcode: 'feedback', ident: 'nobody', message: 'not asked, still told' });
    expect(await c.nextPacket()).toEqual({ opcode: 'error', code: 'UNKNOWN_RECIPIENT', error: 'no client has this uuid or ident' });
    c.send({ opcode: 'frobnicate', id: 'b' });
    expect(await c.nextPacket()).toMatchObject({ opcode: 'error', id: 'b', code: 'UNKNOWN_OPCODE' });
    c.send('[]');
    expect(await c.nextPacket()).toMatchObject({ opcode: 'error', code: 'NOT_AN_OBJECT' });
    c.send({ opcode: 'echo', message: 'still open', id: 'c' });
    expect(await c.nextPacket()).toMatchObject({ opcode: 'echo', message: 'still open' });
  });

  it('closes with 1007 after telling a v2 client its JSON is bad', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const c = cleanup.add(await PageClient.connect(relay.url('/php'), V2), (p) => p.close());
    c.send('{bad');
    expect(await c.nextPacket()).toMatchObject({ opcode: 'error', code: 'BAD_JSON' });
    expect(await c.closed()).toBe(1007);
  });

  it('serves v1 PHP-style backends and v2 clients on the same port at the same time', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const v2page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const v1page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const v1backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    const v2backend = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    const rounds = 50;
    const v2done = (async () => {
      for (let i = 0; i < rounds; i++) v2backend.send({ opcode: 'feedback', uuid: v1page.uuid, message: `v2-${i}`, id: i });
      for (let i = 0; i < rounds; i++) expect((await v2backend.nextPacket()).outcome).toBe('delivered');
    })();
    for (let i = 0; i < rounds; i++) await v1backend.talk({ opcode: 'feedback', uuid: v2page.uuid, message: `v1-${i}` });
    await v2done;
    for (let i = 0; i < rounds; i++) {
      expect(await v2page.nextPacket()).toMatchObject({ seq: i + 1, message: `v1-${i}` });
      expect(JSON.parse(await v1page.next())).toEqual({ opcode: 'feedback', uuid: v1page.uuid, message: `v2-${i}` });
    }
  });
});

describe('the v2 request id stays between a publisher and the relay', () => {
  it('is answered but not forwarded: feedback by uuid and by Ident, broadcast, a message over 1 MiB; a v1 sender’s id field goes on', async () => {
    const relay = cleanup.add(await startRelay(), (r) => r.stop());
    const v1page = cleanup.add(await PageClient.connect(relay.url('/web')), (p) => p.close());
    const v2page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const script = cleanup.add(await PageClient.connect(relay.url('/php'), { headers: { 'Client-Type': 'php', Ident: 'script' } }), (p) =>
      p.close(),
    );
    const publisher = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    const big = 'x'.repeat(1_100_000);
    publisher.send({ opcode: 'feedback', uuid: v1page.uuid, message: 'to v1', id: 1 });
    publisher.send({ id: 'two', opcode: 'feedback', uuid: v2page.uuid, message: 'to v2', extra: { id: 'kept' } });
    publisher.send({ opcode: 'feedback', ident: 'script', uuid: '', message: big, id: 3 });
    publisher.send({ opcode: 'broadcast', message: 'to all', id: 4 });
    for (const id of [1, 'two', 3]) expect(await publisher.nextPacket()).toEqual({ opcode: 'outcome', id, outcome: 'delivered' });
    expect(await publisher.nextPacket()).toMatchObject({ opcode: 'outcome', id: 4, outcome: 'delivered' });
    expect(JSON.parse(await v1page.next())).toEqual({ opcode: 'feedback', uuid: v1page.uuid, message: 'to v1' });
    expect(await v2page.nextPacket()).toEqual({ seq: 1, opcode: 'feedback', uuid: v2page.uuid, message: 'to v2', extra: { id: 'kept' } });
    expect(JSON.parse(await script.next(10_000))).toEqual({ opcode: 'feedback', ident: 'script', uuid: '', message: big });
    expect(JSON.parse(await v1page.next())).toEqual({ opcode: 'broadcast', message: 'to all' });
    expect(await v2page.nextPacket()).toEqual({ opcode: 'broadcast', message: 'to all' }); // broadcasts carry no seq
    // v1 has no request ids: an `id` a v1 backend puts in its packet is its own data.
    const v1backend = cleanup.add(await PhpStyleClient.connect({ port: relay.port }), (c) => c.destroy());
    await v1backend.talk({ opcode: 'feedback', uuid: v2page.uuid, message: 'from v1', id: 'mine' });
    expect(await v2page.nextPacket()).toMatchObject({ message: 'from v1', id: 'mine' });
  });
});

describe('resume with replay', () => {
  async function setup(overrides = {}) {
    const relay = cleanup.add(await startRelay(overrides), (r) => r.stop());
    const publisher = cleanup.add(await PageClient.connect(relay.url('/php'), { ...V2, headers: { 'Client-Type': 'php' } }), (p) =>
      p.close(),
    );
    const publish = async (uuid: string, message: string, extra: object = {}) => {
      publisher.send({ opcode: 'feedback', uuid, message, id: message, ...extra });
      const answer = await publisher.nextPacket();
      return answer.outcome ?? answer.code;
    };
    return { relay, publish };
  }

  it('a page that reconnects gets its uuid back and every missed message once, in order, then live ones', async () => {
    const { relay, publish } = await setup();
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const { uuid, resumeToken } = page;
    expect(await publish(uuid, 'one')).toBe('delivered');
    expect((await page.nextPacket()).seq).toBe(1);
    page.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    for (const m of ['two', 'three', 'four']) expect(await publish(uuid, m)).toBe('held');

    const again = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    expect(again.uuid).not.toBe(uuid);
    again.send({ opcode: 'resume', uuid, resumeToken, lastSeq: 1 });
    expect(await again.nextPacket()).toEqual({ opcode: 'resumed', uuid, resumeToken, recovered: true, lastSeq: 4 });
    for (const [seq, m] of [
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
    ] as const) {
      expect(await again.nextPacket()).toMatchObject({ seq, message: m });
    }
    expect(await publish(uuid, 'five')).toBe('delivered');
    expect(await again.nextPacket()).toMatchObject({ seq: 5, message: 'five' });
    expect(again.received).toEqual([]);
    expect(relay.stats.replayed).toBe(3);
  });

  it('says recovered:false when the gap exceeds retention, and still sends the latest progress of each job', async () => {
    const { relay, publish } = await setup({ retentionCount: 3 });
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const { uuid, resumeToken } = page;
    page.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    for (let i = 1; i <= 6; i++) await publish(uuid, `a${i}`, { progress: { job: 'A', done: i, total: 10 } });
    await publish(uuid, 'b1', { progress: { job: 'B', done: 1, total: 2 } });
    for (let i = 1; i <= 3; i++) await publish(uuid, `text${i}`);
    const again = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    again.send({ opcode: 'resume', uuid, resumeToken, lastSeq: 0 });
    expect(await again.nextPacket()).toEqual({ opcode: 'resumed', uuid, resumeToken, recovered: false, lastSeq: 10 });
    expect(await again.nextPacket()).toMatchObject({ seq: 6, message: 'a6', progress: { job: 'A', done: 6 } });
    expect(await again.nextPacket()).toMatchObject({ seq: 7, message: 'b1', progress: { job: 'B' } });
    expect(await publish(uuid, 'live')).toBe('delivered');
    expect(await again.nextPacket()).toMatchObject({ seq: 11, message: 'live' });
  });

  it('forgets a page after the retention age, and refuses a forged uuid', async () => {
    const { relay, publish } = await setup({ retentionAgeMs: 150 });
    const page = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const { uuid, resumeToken } = page;
    page.close();
    await expect.poll(() => relay.hub.size).toBe(1);
    expect(await publish(uuid, 'soon')).toBe('held');
    await expect.poll(() => relay.sessions.get(uuid.split('.')[0]!), { timeout: 3_000 }).toBeUndefined();
    expect(await publish(uuid, 'late')).toBe('unknown');
    const again = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    again.send({ opcode: 'resume', uuid: `${uuid.split('.')[0]}.00000000000000000000000000000000`, lastSeq: 0 });
    expect(await again.nextPacket()).toMatchObject({ opcode: 'error', code: 'BAD_UUID' });
    again.send({ opcode: 'resume', uuid, resumeToken, lastSeq: 1 });
    expect(await again.nextPacket()).toMatchObject({ opcode: 'resumed', uuid, recovered: false });
  });

  it('a resumed uuid replaces a half-open older connection of the same page', async () => {
    const { relay, publish } = await setup();
    const old = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    const fresh = cleanup.add(await PageClient.connect(relay.url('/web'), V2), (p) => p.close());
    fresh.send({ opcode: 'resume', uuid: old.uuid, resumeToken: old.resumeToken, lastSeq: 0 });
    expect((await fresh.nextPacket()).recovered).toBe(true);
    expect(await old.closed()).toBe(1008);
    expect(await publish(old.uuid, 'to the new socket')).toBe('delivered');
    expect((await fresh.nextPacket()).message).toBe('to the new socket');
  });
});
