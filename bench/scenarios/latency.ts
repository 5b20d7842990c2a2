/** Latency at a fixed moderate rate, end to end at the page (stop-and-wait backends, paced). */
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, throughput, userCpuPerDelivery } from './metric-specs.js';
import type { Scenario } from './scenario.js';

const size = (quick: boolean) => ({ backends: 10, pages: 50, ratePerSecond: 5000, seconds: quick ? 2 : 10, bytes: 100 });

export const latency: Scenario = {
  name: 'latency',
  title: 'latency at 5 000 msg/s',
  metrics: [throughput('msg/s'), ...latencyMetrics(true), cpuPerDelivery(), userCpuPerDelivery, relayBusy, peakRss],
  describe(quick) {
    const s = size(quick);
    return `${s.backends} backends pacing ${s.ratePerSecond} msg/s in total for ${s.seconds} s (${s.bytes} B) to ${s.pages} pages`;
  },
  run(context) {
    const s = size(context.quick);
    const perBackend = (s.ratePerSecond * s.seconds) / s.backends;
    return runDeliveries(context, {
      pages: s.pages,
      broadcast: false,
      messages: perBackend * s.backends,
      sendTimeoutMs: s.seconds * 1000 * 3 + 30_000,
      publishers: (relay, uuids) =>
        context.spawnBackends({
          url: relay.url('/php'),
          count: s.backends,
          identPrefix: 'bench-',
          plan: { kind: 'feedback', perBackend, messageBytes: s.bytes, uuids, ratePerBackend: s.ratePerSecond / s.backends },
        }),
    });
  },
};
