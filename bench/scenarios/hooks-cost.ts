/**
 * What the hooks path costs: our relay with one trivial `preSend` hook
 * (returns nothing: every message goes on unchanged) against our relay with
 * none, side by side in one run. The relay with no hook skips the whole
 * path, so this ratio bounds the cost of the seam unused too: an
 * unregistered hook cannot cost more than a registered one that does
 * nothing. Target: at least 0.98× the throughput, at most 1/0.98 the CPU
 * per delivery.
 */
import { fanOut } from './fan-out.js';
import { httpPublish } from './http-publish.js';
import type { MetricSpec, Scenario, SideSpec } from './scenario.js';
import { stopAndWait } from './stop-and-wait.js';

const sides: { ours: SideSpec; reference: SideSpec } = {
  ours: { label: 'no-op preSend', relay: 'ours', preSendHook: true },
  reference: { label: 'no hooks', relay: 'ours' },
};

/** ≥ 0.98× throughput; ≤ 1/0.98 CPU; other metrics shown without a target. */
function hooksTargets(metric: MetricSpec): MetricSpec {
  const { ratioTarget: _dropped, ...rest } = metric;
  if (metric.key === 'throughput') return { ...rest, ratioTarget: { op: '>=', value: 0.98 } };
  if (metric.key === 'cpuPerDeliveryUs') return { ...rest, ratioTarget: { op: '<=', value: 1.02 } };
  return rest;
}

function hooksCost(base: Scenario): Scenario {
  return {
    ...base,
    name: `hooks-${base.name}`,
    title: `hooks cost, ${base.title}`,
    sides,
    metrics: base.metrics.map(hooksTargets),
    fullOnly: false,
  };
}

export const hooksFanOut = hooksCost(fanOut);
export const hooksHttpPublish = hooksCost(httpPublish);
export const hooksStopAndWait = hooksCost(stopAndWait);
