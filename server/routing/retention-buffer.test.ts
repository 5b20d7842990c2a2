import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RetentionBuffer, type Retained } from './retention-buffer.js';

setFlagsFromString('--expose-gc');
/** A full collection, reached the documented way when the flag is set late. */
const collect = runInNewContext('gc') as () => void;

describe('RetentionBuffer', () => {
  it('replays everything after lastSeq, in order', () => {
    const buffer = new RetentionBuffer({ count: 10, bytes: 1_000, ageMs: 1_000 });
    for (let seq = 1; seq <= 5; seq++) buffer.append(seq, `m${seq}`, 0);
    expect(buffer.since(2, 5)?.map((m) => m.text)).toEqual(['m3', 'm4', 'm5']);
    expect(buffer.since(5, 5)).toEqual([]);
    expect(buffer.since(0, 5)?.length).toBe(5);
  });

  it('trims by count, bytes and age, and then reports the gap', () => {
    const byCount = new RetentionBuffer({ count: 3, bytes: 1_000, ageMs: 1_000 });
    for (let seq = 1; seq <= 5; seq++) byCount.append(seq, 'x', 0);
    expect(byCount.size).toBe(3);
    expect(byCount.oldestSeq).toBe(3);
    expect(byCount.since(1, 5)).toBeNull();
    expect(byCount.since(2, 5)?.map((m) => m.seq)).toEqual([3, 4, 5]);

    const byBytes = new RetentionBuffer({ count: 100, bytes: 10, ageMs: 1_000 });
    byBytes.append(1, '12345', 0);
    byBytes.append(2, '12345', 0);
    byBytes.append(3, '1', 0);
    expect(byBytes.bytes).toBe(6);
    expect(byBytes.oldestSeq).toBe(2);

    const byAge = new RetentionBuffer({ count: 100, bytes: 1_000, ageMs: 100 });
    byAge.append(1, 'a', 0);
    byAge.append(2, 'b', 50);
    byAge.trim(120);
    expect(byAge.oldestSeq).toBe(2);
    byAge.trim(500);
    expect(byAge.size).toBe(0);
    expect(byAge.since(1, 2)).toBeNull();
  });

  it('refuses a lastSeq from the future (another relay incarnation)', () => {
    const buffer = new RetentionBuffer({ count: 10, bytes: 1_000, ageMs: 1_000 });
    buffer.append(1, 'a', 0);
    expect(buffer.since(7, 1)).toBeNull();
  });

  it('keeps working after many compactions', () => {
    const buffer = new RetentionBuffer({ count: 5, bytes: 1_000_000, ageMs: 1_000 });
    for (let seq = 1; seq <= 1_000; seq++) buffer.append(seq, String(seq), 0);
    expect(buffer.size).toBe(5);
    expect(buffer.since(997, 1_000)?.map((m) => m.text)).toEqual(['998', '999', '1000']);
  });

  it('lets go of a dropped message at once, not at the next compaction', async () => {
    const buffer = new RetentionBuffer({ count: 1, bytes: 1_000_000, ageMs: 1_000 });
    buffer.append(1, 'x'.repeat(1000), 0);
    const held = new WeakRef<Retained>(buffer.since(0, 1)![0]!);
    buffer.append(2, 'y', 0);
    expect(buffer.size).toBe(1);
    // WeakRefs are kept through the current job: let it end, then collect.
    await new Promise((resolve) => setImmediate(resolve));
    collect();
    expect(held.deref()).toBeUndefined();
  });

  it('keeps a shared meter of the bytes it holds', () => {
    const meter = { bytes: 0 };
    const a = new RetentionBuffer({ count: 2, bytes: 1_000, ageMs: 1_000 }, meter);
    const b = new RetentionBuffer({ count: 2, bytes: 1_000, ageMs: 1_000 }, meter);
    for (let seq = 1; seq <= 5; seq++) a.append(seq, 'abc', 0);
    b.append(1, 'hello', 0);
    expect(meter.bytes).toBe(a.bytes + b.bytes);
    expect(meter.bytes).toBe(11);
    a.trim(5_000);
    expect(meter.bytes).toBe(5);
    b.clear();
    expect(meter.bytes).toBe(0);
  });
});
