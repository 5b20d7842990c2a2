/**
 * What job tracking costs: v2 backends pipelining feedback to v2 pages, each
 * message with a `progress` object, side by side on our relay: with
 * `progress.job` (every message is a job report: the tracker and the page
 * log's latest-progress index are updated) against the same bytes under
 * another key (no job: one property read and a failed shape check). The
 * second side is also what a publisher that sends no job pays, so the ratio
 * bounds the tracking cost when used; a message with no `progress` at all
 * skips it with a single `undefined` check. Target: at least 0.95× the
 * throughput, at most 1/0.95 the CPU per delivery.
 */
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, throughput, userCpuPerDelivery } from './metric-specs.js';
import type { MetricSpec, Scenario } from './scenario.js';

function jobsTargets(metric: MetricSpec): MetricSpec {
  const { ratioTarget: _dropped, ...rest } = metric;
  if (metric.key === 'throughput') return { ...rest, ratioTarget: { op: '>=', value: 0.95 } };
  if (metric.key === 'cpuPerDeliveryUs') return { ...rest, ratioTarget: { op: '<=', value: 1.05 } };
  return rest;
}

const BACKENDS = 10;
const PAGES = 50;
const BYTES = 100;

export const jobsPipelined: Scenario = {
  name: 'jobs-v2-pipelined',
  title: 'job tracking cost, v2 pipelined',
  sides: {
    ours: { label: 'progress.job', relay: 'ours' },
    reference: { label: 'progress, no job', relay: 'ours' },
  },
  metrics: [throughput('msg/s'), ...latencyMetrics(false), cpuPerDelivery(), userCpuPerDelivery, relayBusy, peakRss].map(jobsTargets),
  describe(quick) {
    const perBackend = quick ? 300 : 2000;
    return `${BACKENDS} v2 backends × ${perBackend} feedback of ${BYTES} B with progress to ${PAGES} v2 pages, not waiting`;
  },
  run(context) {
    const perBackend = context.quick ? 300 : 2000;
    const progress = context.side === 'ours' ? 'job' : 'untracked';
    return runDeliveries(context, {
      pages: PAGES,
      pageSubprotocol: SUBPROTOCOL_V2,
      broadcast: false,
      messages: BACKENDS * perBackend,
      sendTimeoutMs: 120_000,
      publishers: (relay, uuids) =>
        context.spawnBackends({
          url: relay.url('/php'),
          count: BACKENDS,
          identPrefix: 'bench-',
          subprotocol: SUBPROTOCOL_V2,
          plan: { kind: 'feedback', perBackend, messageBytes: BYTES, uuids, pipelined: true, progress },
        }),
    });
  },
};
