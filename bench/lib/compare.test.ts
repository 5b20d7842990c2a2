import { describe, expect, it } from 'vitest';
import type { RunResult } from '../scenarios/scenario.js';
import { compareMetric, deliveryTotals, isLossFree, median } from './compare.js';

const run = (metrics: Record<string, number>, sent = 10, delivered = 10): RunResult => ({ sent, delivered, duplicates: 0, metrics });

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, ignoring non-finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNull();
  });
});

describe('compareMetric', () => {
  it('reports the ratio ours/reference of the medians and judges a lower bound', () => {
    const spec = { key: 'throughput', label: 't', decimals: 0, ratioTarget: { op: '>=' as const, value: 0.8 } };
    const result = compareMetric(
      spec,
      [run({ throughput: 70 }), run({ throughput: 90 }), run({ throughput: 80 })],
      [run({ throughput: 100 })],
    );
    expect(result.ours).toBe(80);
    expect(result.ratio).toBeCloseTo(0.8);
    expect(result.met).toBe(true);
    expect(result.target).toBe('≥ 0.8×');
    expect(compareMetric(spec, [run({ throughput: 79 })], [run({ throughput: 100 })]).met).toBe(false);
  });

  it('judges an upper bound and an absolute bound together', () => {
    const spec = {
      key: 'rss',
      label: 'r',
      decimals: 1,
      ratioTarget: { op: '<=' as const, value: 1.5 },
      absoluteTarget: { op: '<=' as const, value: 192, label: '≤ 192' },
    };
    expect(compareMetric(spec, [run({ rss: 150 })], [run({ rss: 120 })]).met).toBe(true);
    expect(compareMetric(spec, [run({ rss: 200 })], [run({ rss: 190 })]).met).toBe(false);
    expect(compareMetric(spec, [run({ rss: 150 })], [run({ rss: 50 })]).met).toBe(false);
  });

  it('has no verdict without a target or without data', () => {
    expect(compareMetric({ key: 'x', label: 'x', decimals: 0 }, [run({ x: 1 })], [run({ x: 2 })]).met).toBeNull();
    const spec = { key: 'x', label: 'x', decimals: 0, ratioTarget: { op: '>=' as const, value: 1 } };
    const missing = compareMetric(spec, [run({ x: 1 })], []);
    expect(missing.ratio).toBeNull();
    expect(missing.met).toBeNull();
  });
});

describe('compareMetric over interleaved pairs', () => {
  const spec = { key: 'cpu', label: 'c', decimals: 1, ratioTarget: { op: '<=' as const, value: 1 } };

  it('gives each pair its ratio and says met only when every pair agrees', () => {
    const steady = compareMetric(
      spec,
      [run({ cpu: 90 }), run({ cpu: 80 }), run({ cpu: 85 })],
      [run({ cpu: 100 }), run({ cpu: 95 }), run({ cpu: 90 })],
    );
    expect(steady.runRatios.map((r) => r.toFixed(3))).toEqual(['0.900', '0.842', '0.944']);
    expect(steady.oursRange).toEqual([80, 90]);
    expect(steady.referenceRange).toEqual([90, 100]);
    expect([steady.verdict, steady.runsJudged, steady.runsMet]).toEqual(['met', 3, 3]);
  });

  it('calls it noise when the pairs disagree, whatever the medians say', () => {
    const noisy = compareMetric(
      spec,
      [run({ cpu: 90 }), run({ cpu: 120 }), run({ cpu: 95 })],
      [run({ cpu: 100 }), run({ cpu: 100 }), run({ cpu: 100 })],
    );
    expect(noisy.met).toBe(true);
    expect([noisy.verdict, noisy.runsMet]).toEqual(['noise', 2]);
    const missed = compareMetric(spec, [run({ cpu: 110 }), run({ cpu: 120 })], [run({ cpu: 100 }), run({ cpu: 100 })]);
    expect([missed.verdict, missed.runsMet]).toEqual(['missed', 0]);
  });
});

describe('loss accounting', () => {
  it('sums runs and flags any lost or duplicated delivery', () => {
    expect(isLossFree(deliveryTotals([run({}, 10, 10), run({}, 5, 5)]))).toBe(true);
    expect(isLossFree(deliveryTotals([run({}, 10, 10), run({}, 5, 4)]))).toBe(false);
    expect(isLossFree({ sent: 3, delivered: 3, duplicates: 1 })).toBe(false);
  });
});
