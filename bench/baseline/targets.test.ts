import { describe, expect, it } from 'vitest';
import { cpuPerDelivery, latencyMetrics, peakRss, throughput, userCpuPerDelivery } from '../scenarios/metric-specs.js';
import type { MetricSpec } from '../scenarios/scenario.js';
import { baselineTarget } from './targets.js';

describe('baselineTarget', () => {
  it('asks every throughput for 0.98× and every CPU per delivery for at most 1/0.98, whatever the scenario asked', () => {
    expect(baselineTarget(throughput('msg/s')).ratioTarget).toEqual({ op: '>=', value: 0.98 });
    expect(baselineTarget(cpuPerDelivery({ op: '<=', value: 0.5 })).ratioTarget).toEqual({ op: '<=', value: 1.0204 });
    const perRequest: MetricSpec = { ...cpuPerDelivery({ op: '<=', value: 1 }), label: 'relay CPU per request (µs)' };
    expect(baselineTarget(perRequest)).toEqual({ ...perRequest, ratioTarget: { op: '<=', value: 1.0204 } });
  });

  it('drops the other ratio targets (they are set against the reference relay) and keeps absolute ones', () => {
    const p99 = latencyMetrics(true).find((metric) => metric.key === 'p99Ms')!;
    expect(p99.ratioTarget).toBeDefined();
    expect(baselineTarget(p99).ratioTarget).toBeUndefined();
    expect(baselineTarget(userCpuPerDelivery)).toEqual(userCpuPerDelivery);
    const bounded: MetricSpec = { ...peakRss, absoluteTarget: { op: '<=', value: 192, label: '≤ 3 × 64 MiB' } };
    expect(baselineTarget(bounded)).toEqual(bounded);
  });
});
