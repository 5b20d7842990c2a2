import { describe, expect, it } from 'vitest';
import { EngineTelemetry } from '../engine-telemetry.js';
import { RedisKeys } from './redis-keys.js';
import type { EngineRedis, RedisLink } from './redis-link.js';
import { MAX_UUID_BATCH, MAX_UUID_BATCH_CHARS, UuidBatch, type QueuedUuid } from './uuid-batch.js';

/** A link whose script call only records how many publishes each call carried, and answers "nobody holds it". */
function recordingLink(calls: string[][]): RedisLink {
  const cmd = {
    wsPublishUuids: (numKeys: number, ...args: (string | number)[]) => {
      const ids: string[] = [];
      for (let i = 0; i < numKeys / 5; i++) ids.push(String(args[numKeys + 7 + i * 5]).split('|')[0]!);
      calls.push(ids);
      return Promise.resolve(ids.flatMap(() => [0, 0, 0]));
    },
  } as unknown as EngineRedis;
  return {
    cmd,
    keys: new RedisKeys('t:'),
    nodeId: 'n',
    limits: { count: 10, bytes: 1000, ageMs: 1000 },
    logTtlMs: 1000,
    telemetry: new EngineTelemetry(),
  };
}

function item(id: string, chars = 5): QueuedUuid {
  const after = `"m":"${'x'.repeat(Math.max(0, chars - 6))}"}`;
  return { id, target: { kind: 'uuid', key: `k${id}` }, payload: { raw: `{${after}`, packet: {} }, after, empty: false, job: null };
}

describe('UuidBatch splits what one turn queued into script calls, in order', () => {
  it(`of at most ${MAX_UUID_BATCH} publishes`, async () => {
    const calls: string[][] = [];
    const settled: string[] = [];
    const batch = new UuidBatch(recordingLink(calls), (items) => settled.push(...items.map((i) => i.id)));
    const ids = Array.from({ length: 300 }, (_, i) => String(i));
    for (const id of ids) batch.add(item(id));
    batch.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.map((c) => c.length)).toEqual([128, 128, 44]);
    expect(calls.flat()).toEqual(ids);
    expect(settled).toEqual(ids);
  });

  it('of at most about MAX_UUID_BATCH_CHARS characters of messages, a larger one alone', () => {
    const calls: string[][] = [];
    const batch = new UuidBatch(recordingLink(calls), () => {});
    const big = Math.floor(MAX_UUID_BATCH_CHARS * 0.6);
    for (const [id, chars] of [
      ['a', big],
      ['b', big],
      ['c', 100],
      ['d', 2 * MAX_UUID_BATCH_CHARS],
      ['e', 10],
    ] as const)
      batch.add(item(id, chars));
    batch.flush();
    expect(calls).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
  });
});
