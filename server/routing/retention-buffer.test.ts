import { describe, expect, it } from 'vitest';
import { RetentionBuffer } from './retention-buffer.js';

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
});
