import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
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

  it('holds the messages as bytes: texts of any size and script come back as they went in', () => {
    const buffer = new RetentionBuffer({ count: 100, bytes: 1_000_000, ageMs: 1_000 });
    const texts = ['', 'é', '日本語', '🙂'.repeat(300), 'x'.repeat(5_000), '{"seq":7,"m":"ok"}'];
    texts.forEach((text, i) => buffer.append(i + 1, text, 0));
    expect(buffer.since(0, texts.length)?.map((m) => m.text)).toEqual(texts);
    expect(buffer.bytes).toBe(texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0));
  });

  it('agrees with a plain list of messages through appends, trims, replays and clears', () => {
    type Op =
      { kind: 'append'; text: string; dt: number } | { kind: 'trim'; dt: number } | { kind: 'since'; back: number } | { kind: 'clear' };
    // Texts long and short, and clears rare, so the arrays fill, slide, grow and shrink between clears.
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 100, maxLength: 600 }));
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 40, arbitrary: fc.record({ kind: fc.constant('append' as const), text, dt: fc.nat(10) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('trim' as const), dt: fc.nat(300) }) },
      { weight: 8, arbitrary: fc.record({ kind: fc.constant('since' as const), back: fc.nat(60) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
    );
    fc.assert(
      fc.property(
        fc.nat(60),
        fc.integer({ min: 1, max: 20_000 }),
        fc.array(op, { minLength: 150, maxLength: 400 }),
        (count, bytes, ops) => {
          const limits = { count, bytes, ageMs: 1_000 };
          const meter = { bytes: 0 };
          const buffer = new RetentionBuffer(limits, meter);
          let model: Retained[] = [];
          let seq = 0;
          let now = 0;
          const trimModel = (): void => {
            let total = model.reduce((sum, m) => sum + m.bytes, 0);
            while (model.length > 0 && (model.length > count || total > bytes || now - model[0]!.at > limits.ageMs)) {
              total -= model[0]!.bytes;
              model = model.slice(1);
            }
          };
          for (const step of ops) {
            if (step.kind === 'append') {
              now += step.dt;
              seq++;
              buffer.append(seq, step.text, now);
              model.push({ seq, text: step.text, bytes: Buffer.byteLength(step.text), at: now });
              trimModel();
            } else if (step.kind === 'trim') {
              now += step.dt;
              buffer.trim(now);
              trimModel();
            } else if (step.kind === 'since') {
              const from = Math.max(0, seq - step.back);
              const gone = model.length === 0 ? from < seq : model[0]!.seq > from + 1;
              expect(buffer.since(from, seq)).toEqual(gone ? null : model.filter((m) => m.seq > from));
            } else {
              buffer.clear();
              model = [];
            }
            expect(buffer.size).toBe(model.length);
            expect(buffer.bytes).toBe(model.reduce((sum, m) => sum + m.bytes, 0));
            expect(meter.bytes).toBe(buffer.bytes);
            expect(buffer.oldestSeq).toBe(model[0]?.seq ?? null);
          }
        },
      ),
      // Stop at the first counterexample (it prints its seed): shrinking hundreds of steps takes minutes.
      { numRuns: 60, endOnFailure: true },
    );
  });
});
