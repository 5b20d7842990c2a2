/**
 * The targets of a comparison with an older build of our own relay
 * (issue #12: with no hooks registered the hot path costs what it cost
 * before): every throughput at least 0.98× the baseline's, every CPU per
 * delivery (or per request) at most 1/0.98 of it. A scenario's own ratio
 * targets are set against the reference relay and say nothing here, so they
 * are dropped; absolute targets are about our relay alone and stay.
 */
import type { MetricSpec } from '../scenarios/scenario.js';

/** The share of the baseline's performance the current relay must keep. */
export const BASELINE_SHARE = 0.98;

/** 1/0.98 = 1.020408…, to four places so the table reads "≤ 1.0204×". */
export const BASELINE_CPU_BOUND = Math.round(10_000 / BASELINE_SHARE) / 10_000;

export function baselineTarget(metric: MetricSpec): MetricSpec {
  const { ratioTarget: _againstReference, ...rest } = metric;
  switch (metric.measures) {
    case 'throughput':
      return { ...rest, ratioTarget: { op: '>=', value: BASELINE_SHARE } };
    case 'cpuPerDelivery':
      return { ...rest, ratioTarget: { op: '<=', value: BASELINE_CPU_BOUND } };
    case undefined:
      return rest;
  }
}
