/**
 * Uuid publishes of one turn of the event loop go to Redis as one script
 * call (uuid-batch.ts) and to each holder node as one `D` envelope: each
 * publish still gets its own outcome and its own seq, in order, whatever
 * the others in its batch became; a call that fails answers each of its
 * publishes `failed`. Against a real redis-server.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Outcome } from '../../include/protocol.js';
import { EngineTelemetry } from '../../server/engine/engine-telemetry.js';
import type { Payload, PublishResult } from '../../server/engine/publication.js';
import { decodeEnvelope, type Envelope } from '../../server/engine/redis/envelope.js';
import { RedisKeys } from '../../server/engine/redis/redis-keys.js';
import { commandConnection, type RedisLink } from '../../server/engine/redis/redis-link.js';
import { UuidBatch, type BatchAnswer, type QueuedUuid } from '../../server/engine/redis/uuid-batch.js';
import { sequenceParts } from '../../server/protocol/sequence.js';
import type { Relay } from '../../server/relay.js';
import { RedisServer } from '../../bench/lib/redis-server.js';
import { redisPerFile } from '../helpers/redis-per-file.js';
import { Cleanup, PageClient, startRelay } from '../helpers/relay-fixture.js';

const V2 = { protocols: ['websock.v2'] };
const LIMITS = { count: 100, bytes: 1 << 20, ageMs: 60_000 };
const cleanup = new Cleanup();
/** What the retention limits (3 entries, 80 bytes) push out as each message of the log test is appended. */
const DROPPED = [0, 0, 0, 2, 2, 0, 0, 0, 2, 1, 1, 0];
const redis = redisPerFile();
let prefixes = 0;

afterEach(() => cleanup.run());

function payload(fields: Record<string, unknown>, raw = JSON.stringify(fields)): Payload {
  return { raw, packet: fields };
}

function progressJobOf(raw: string): string | null {
  const progress = (JSON.parse(raw) as { progress?: { job?: string } }).progress;
  return progress === undefined ? null : (progress.job ?? '');
}

function keyOf(page: { uuid: string }): string {
  return page.uuid.split('.')[0]!;
}

describe('a batch of uuid publishes with mixed targets', () => {
  it('gives each publish its own outcome and seq: delivered on the other node, delivered here, held, unknown', async () => {
    const brokerPrefix = `ub${++prefixes}:`;
    const a = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix }), (r: Relay) => r.stop());
    const b = cleanup.add(await startRelay({ broker: redis.url, brokerPrefix }), (r: Relay) => r.stop());
    const onA = cleanup.add(await PageClient.connect(a.url('/web'), V2), (p) => p.close());
    const onB = cleanup.add(await PageClient.connect(b.url('/web'), V2), (p) => p.close());
    const away = await PageClient.connect(a.url('/web'), V2);
    away.close();
    await expect.poll(() => a.hub.browserCount).toBe(1);

    const to = (page: { uuid: string }) => ({ kind: 'uuid' as const, key: keyOf(page) });
    const multiline = '{\n"opcode": "feedback", "message": "a|b é😀"\n}';
    // All in one tick: one batch.
    const results: Promise<PublishResult>[] = [
      b.engine.broker.publish(to(onA), payload({ opcode: 'feedback', message: 'a1' })),
      b.engine.broker.publish(to(away), payload({ opcode: 'feedback', message: 'held1' })),
      b.engine.broker.publish(to(onB), payload({ opcode: 'feedback', message: 'b1' })),
      b.engine.broker.publish({ kind: 'uuid', key: 'nobody-holds-this' }, payload({ opcode: 'feedback', message: 'x' })),
      b.engine.broker.publish(to(onA), payload({ opcode: 'feedback', message: 'a|b é😀' }, multiline)),
      b.engine.broker.publish(to(away), payload({ opcode: 'feedback', message: 'held2' })),
      b.engine.broker.publish(to(onB), payload({ opcode: 'feedback', message: 'b2' })),
      b.engine.broker.publish(to(onA), payload({})),
    ];
    expect((await Promise.all(results)).map((r) => r.outcome)).toEqual([
      Outcome.Delivered,
      Outcome.Held,
      Outcome.Delivered,
      Outcome.Unknown,
      Outcome.Delivered,
      Outcome.Held,
      Outcome.Delivered,
      Outcome.Delivered,
    ]);
    expect(await onA.nextPacket()).toEqual({ seq: 1, opcode: 'feedback', message: 'a1' });
    expect(await onA.nextPacket()).toEqual({ seq: 2, opcode: 'feedback', message: 'a|b é😀' });
    expect(await onA.nextPacket()).toEqual({ seq: 3 });
    expect(await onB.nextPacket()).toEqual({ seq: 1, opcode: 'feedback', message: 'b1' });
    expect(await onB.nextPacket()).toEqual({ seq: 2, opcode: 'feedback', message: 'b2' });
    const held = await b.engine.log.readSince(keyOf(away), { seq: 0, epoch: null });
    expect(held).toMatchObject({ position: { seq: 2 } });
    expect(JSON.stringify(held)).toContain('held1');
    expect(JSON.stringify(held)).toContain('held2');
    expect(b.engine.telemetry?.errors.bad_message).toBe(0);
    expect(a.engine.telemetry?.errors.bad_message).toBe(0);
  });

  it('answers each publish of a batch failed while Redis is down, and delivers again once it is back', async () => {
    const own = await RedisServer.start();
    try {
      const brokerPrefix = `ub${++prefixes}:`;
      const a = cleanup.add(await startRelay({ broker: own.url, brokerPrefix }), (r: Relay) => r.stop());
      const b = cleanup.add(await startRelay({ broker: own.url, brokerPrefix }), (r: Relay) => r.stop());
      const page = cleanup.add(await PageClient.connect(a.url('/web'), V2), (p) => p.close());
      const target = { kind: 'uuid' as const, key: keyOf(page) };
      expect((await b.engine.broker.publish(target, payload({ message: 'before' }))).outcome).toBe(Outcome.Delivered);
      expect(await page.nextPacket()).toEqual({ seq: 1, message: 'before' });
      const port = own.port;
      await own.stop();
      await expect.poll(() => b.engine.health().state).toBe('down');
      const down = [1, 2, 3].map((i) => b.engine.broker.publish(target, payload({ message: `down${i}` })));
      expect((await Promise.all(down)).map((r) => r.outcome)).toEqual([Outcome.Failed, Outcome.Failed, Outcome.Failed]);
      const again = await RedisServer.start(10_000, port);
      cleanup.add(again, (r) => r.stop());
      await expect.poll(() => b.engine.health().state, { timeout: 10_000 }).toBe('ok');
      await expect
        .poll(async () => (await b.engine.broker.publish(target, payload({ message: 'after' }))).outcome, { timeout: 10_000 })
        .toBe(Outcome.Delivered);
    } finally {
      await own.stop().catch(() => {});
    }
  });
});

describe('UuidBatch against redis-server', () => {
  it('sends one script call and one D envelope per holder node, each entry with its own seq, in order', async () => {
    const prefix = `ubu${++prefixes}:`;
    const keys = new RedisKeys(prefix);
    const telemetry = new EngineTelemetry();
    const cmd = commandConnection(redis.url, {}, telemetry);
    const admin = new Redis(redis.url);
    const sub = new Redis(redis.url);
    cleanup.add(cmd, (c) => c.disconnect());
    cleanup.add(admin, (c) => c.disconnect());
    cleanup.add(sub, (c) => c.disconnect());
    await cmd.connect();
    const link: RedisLink = { cmd, keys, nodeId: 'nb', limits: LIMITS, logTtlMs: 60_000, telemetry };

    // na: alive, subscribed; nb: this node; nx: gone; nc: alive but nobody listens on its channel.
    await admin.set(keys.node('na'), '1');
    await admin.set(keys.node('nb'), '1');
    await admin.set(keys.node('nc'), '1');
    const owners: Record<string, string> = { onA: 'na', here: 'nb', away: 'nx', deaf: 'nc', deafLogged: 'nc' };
    for (const [key, node] of Object.entries(owners)) await admin.set(keys.owner({ kind: 'uuid', key }), node);
    for (const key of ['onA', 'here', 'away', 'deafLogged']) await cmd.wsCreateLog(...keys.log(key), `E${key}`, 0, 60_000);
    const envelopes: Envelope[] = [];
    await sub.subscribe(keys.channel('na'));
    sub.on('message', (_channel: string, message: string) => envelopes.push(decodeEnvelope(message)!));

    const operations: string[] = [];
    telemetry.onCommand = (operation) => operations.push(operation);
    const answers: { items: readonly QueuedUuid[]; answer: BatchAnswer }[] = [];
    const batch = new UuidBatch(link, (items, answer) => answers.push({ items, answer }));
    const plan: [string, string][] = [
      ['onA', '{"m":1}'],
      ['here', '{"m":2}'],
      ['away', '{"m":3}'],
      ['nobody', '{"m":4}'],
      ['onA', '{ }'],
      ['deaf', '{"m":6}'],
      ['deafLogged', '{"m":7}'],
      ['onA', '{"m":"😀\\n|"}'],
    ];
    plan.forEach(([key, raw], i) => {
      const parts = sequenceParts(raw, JSON.parse(raw) as Record<string, unknown>);
      batch.add({ id: `i${i}`, target: { kind: 'uuid', key }, payload: payload({}, raw), ...parts, job: null });
    });
    await expect.poll(() => answers.length).toBe(1);
    expect(operations).toEqual(['publish_uuid']);
    const { codes } = answers[0]!.answer as { codes: number[] };
    // {code, seq, dropped} per message: 2 handed over, 3 this node, 1 held, 0 nobody.
    expect(codes).toEqual([2, 1, 0, 3, 1, 0, 1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 1, 0, 2, 3, 0]);
    await expect.poll(() => envelopes.length).toBe(1);
    expect(envelopes[0]).toEqual({
      type: 'deliveries',
      replyTo: 'nb',
      items: [
        { id: 'i0', target: { kind: 'uuid', key: 'onA' }, seq: 1, epoch: 'EonA', text: '{"seq":1,"m":1}' },
        { id: 'i4', target: { kind: 'uuid', key: 'onA' }, seq: 2, epoch: 'EonA', text: '{"seq":2 }' },
        { id: 'i7', target: { kind: 'uuid', key: 'onA' }, seq: 3, epoch: 'EonA', text: '{"seq":3,"m":"😀\\n|"}' },
      ],
    });
  });

  it("leaves a page's log as one PUBLISH_UUID per message would: seqs, trims by count and size, progress, TTLs", async () => {
    const prefix = `ubs${++prefixes}:`;
    const keys = new RedisKeys(prefix);
    const telemetry = new EngineTelemetry();
    const cmd = commandConnection(redis.url, {}, telemetry);
    cleanup.add(cmd, (c) => c.disconnect());
    await cmd.connect();
    const limits = { count: 3, bytes: 80, ageMs: 60_000 };
    const link: RedisLink = { cmd, keys, nodeId: 'nb', limits, logTtlMs: 60_000, telemetry };
    const messages: [string, string | null][] = [
      ['{"m":1}', null],
      ['{"m":2,"progress":{"job":"j"}}', 'j'],
      ['{"m":3}', null],
      ['{"m":4,"progress":{"job":"k"}}', 'k'],
      [`{"m":"${'x'.repeat(100)}"}`, null], // over the byte limit on its own
      ['{}', null],
      ['{"m":7,"progress":{"job":"j"}}', 'j'],
      ['{"m":8}', null],
      [`{"m":"${'y'.repeat(40)}"}`, null],
      ['{"a":1}', null],
      ['{"a":2}', null],
      ['{"a":3}', null],
    ];
    for (const key of ['one-by-one', 'batched']) await cmd.wsCreateLog(...keys.log(key), 'E', 0, 60_000);
    const single: number[] = [];
    for (const [raw] of messages) {
      const { after, empty } = sequenceParts(raw, JSON.parse(raw) as Record<string, unknown>);
      const job = progressJobOf(raw);
      const [, seq, , dropped] = await cmd.wsPublishUuid(
        keys.owner({ kind: 'uuid', key: 'one-by-one' }),
        ...keys.log('one-by-one'),
        keys.nodeKeyPrefix,
        'nb',
        keys.channelPrefix,
        '',
        after,
        job === null ? '0' : '1',
        job ?? '',
        Date.now(),
        limits.count,
        limits.bytes,
        60_000,
        '0',
        empty ? '1' : '0',
      );
      single.push(1, seq, dropped);
    }
    const answers: BatchAnswer[] = [];
    const batch = new UuidBatch(link, (_items, answer) => answers.push(answer));
    messages.forEach(([raw], i) => {
      const parts = sequenceParts(raw, JSON.parse(raw) as Record<string, unknown>);
      batch.add({ id: `s${i}`, target: { kind: 'uuid', key: 'batched' }, payload: payload({}, raw), ...parts, job: progressJobOf(raw) });
    });
    await expect.poll(() => answers.length).toBe(1);
    expect((answers[0] as { codes: number[] }).codes).toEqual(single);

    const state = async (key: string) => {
      const [meta, log, prog, progz] = keys.log(key);
      const entries = (await cmd.xrange(log, '-', '+')).map(([id, fields]) => [id, fields[1]]);
      const ttls = await Promise.all([meta, log, prog, progz].map((k) => cmd.pttl(k)));
      return {
        meta: await cmd.hgetall(meta),
        entries,
        prog: await cmd.hgetall(prog),
        progz: await cmd.zrange(progz, 0, -1, 'WITHSCORES'),
        expiring: ttls.map((ttl) => ttl > 0),
      };
    };
    const batched = await state('batched');
    expect(batched).toEqual(await state('one-by-one'));
    expect(batched.meta.seq).toBe(String(messages.length));
    // The sequence did trim (all of the log for the message over the byte limit, older entries for the others) and kept progress.
    expect(single.filter((_, i) => i % 3 === 2)).toEqual(DROPPED);
    expect(Object.keys(batched.prog).sort()).toEqual(['j', 'k']);
  });

  it('fails every publish of a call that Redis never got', async () => {
    const telemetry = new EngineTelemetry();
    const cmd = commandConnection(redis.url, {}, telemetry); // never connected: commands are refused at once
    cleanup.add(cmd, (c) => c.disconnect());
    const link: RedisLink = { cmd, keys: new RedisKeys('ubf:'), nodeId: 'nb', limits: LIMITS, logTtlMs: 60_000, telemetry };
    const answers: { items: readonly QueuedUuid[]; answer: BatchAnswer }[] = [];
    const batch = new UuidBatch(link, (items, answer) => answers.push({ items, answer }));
    for (let i = 0; i < 3; i++)
      batch.add({ id: `f${i}`, target: { kind: 'uuid', key: 'k' }, payload: payload({}, '{}'), after: '}', empty: true, job: null });
    await expect.poll(() => answers.length).toBe(1);
    expect(answers[0]!.items.map((item) => item.id)).toEqual(['f0', 'f1', 'f2']);
    expect('error' in answers[0]!.answer).toBe(true);
  });
});
