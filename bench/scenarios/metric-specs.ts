/** Metric definitions shared by scenarios, with the targets. */
import type { MetricSpec } from './scenario.js';

export const throughput = (unit: string): MetricSpec => ({
  key: 'throughput',
  label: `throughput (${unit})`,
  decimals: 0,
  measures: 'throughput',
  ratioTarget: { op: '>=', value: 0.8 },
});

export const latencyMetrics = (p99Target: boolean): MetricSpec[] => [
  { key: 'p50Ms', label: 'latency p50 (ms)', decimals: 2 },
  { key: 'p90Ms', label: 'latency p90 (ms)', decimals: 2 },
  p99Target
    ? { key: 'p99Ms', label: 'latency p99 (ms)', decimals: 2, ratioTarget: { op: '<=', value: 1.5 } }
    : { key: 'p99Ms', label: 'latency p99 (ms)', decimals: 2 },
  { key: 'maxMs', label: 'latency max (ms)', decimals: 2 },
];

export const cpuPerDelivery = (target?: MetricSpec['ratioTarget']): MetricSpec => ({
  key: 'cpuPerDeliveryUs',
  label: 'relay CPU per delivery (µs)',
  decimals: 2,
  measures: 'cpuPerDelivery',
  ...(target ? { ratioTarget: target } : {}),
});

/** The user-space part: what the relay's own code costs, without the kernel's socket work. */
export const userCpuPerDelivery: MetricSpec = { key: 'userCpuPerDeliveryUs', label: 'relay user CPU per delivery (µs)', decimals: 2 };

/** Relay CPU time over wall time of the send phase: near 100 % the relay was the bottleneck. */
export const relayBusy: MetricSpec = { key: 'relayBusyPct', label: 'relay CPU busy (% of one core)', decimals: 0 };

export const peakRss: MetricSpec = { key: 'peakRssMiB', label: 'relay peak RSS (MiB)', decimals: 1 };
