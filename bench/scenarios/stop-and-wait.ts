/** v1 stop-and-wait: backends send feedback to pages, each waiting for `next` (the original clients' pattern). */
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, throughput, userCpuPerDelivery } from './metric-specs.js';
import type { Scenario } from './scenario.js';

const size = (quick: boolean, tiny = false) => ({
  backends: tiny ? 2 : 10,
  perBackend: tiny ? 20 : quick ? 300 : 2000,
  pages: tiny ? 5 : 50,
  bytes: 100,
});

export const stopAndWait: Scenario = {
  name: 'v1-stop-and-wait',
  title: 'v1 stop-and-wait',
  metrics: [throughput('msg/s'), ...latencyMetrics(false), cpuPerDelivery(), userCpuPerDelivery, relayBusy, peakRss],
  describe(quick, tiny) {
    const s = size(quick, tiny);
    return `${s.backends} backends × ${s.perBackend} feedback of ${s.bytes} B to ${s.pages} pages, waiting for next`;
  },
  run(context) {
    const s = size(context.quick, context.tiny);
    return runDeliveries(context, {
      pages: s.pages,
      broadcast: false,
      messages: s.backends * s.perBackend,
      sendTimeoutMs: 120_000,
      publishers: (relay, uuids) =>
        context.spawnBackends({
          url: relay.url('/php'),
          count: s.backends,
          identPrefix: 'bench-',
          plan: { kind: 'feedback', perBackend: s.perBackend, messageBytes: s.bytes, uuids },
        }),
    });
  },
};
