/** Fan-out: one backend broadcasts to many pages; the CPU per delivery is what a shared frame saves. */
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, throughput, userCpuPerDelivery } from './metric-specs.js';
import type { Scenario } from './scenario.js';

const size = (quick: boolean, tiny = false) => ({
  pages: tiny ? 20 : quick ? 500 : 1000,
  broadcasts: tiny ? 5 : quick ? 20 : 200,
  bytes: 100,
});

export const fanOut: Scenario = {
  name: 'fan-out',
  title: 'fan-out broadcast',
  metrics: [
    throughput('deliveries/s'),
    cpuPerDelivery({ op: '<=', value: 0.5 }),
    userCpuPerDelivery,
    relayBusy,
    ...latencyMetrics(false),
    peakRss,
  ],
  describe(quick, tiny) {
    const s = size(quick, tiny);
    return `1 backend × ${s.broadcasts} broadcasts of ${s.bytes} B to ${s.pages} pages, waiting for next`;
  },
  run(context) {
    const s = size(context.quick, context.tiny);
    return runDeliveries(context, {
      pages: s.pages,
      broadcast: true,
      messages: s.broadcasts,
      sendTimeoutMs: 120_000,
      publishers: (relay) =>
        context.spawnBackends({
          url: relay.url('/php'),
          count: 1,
          identPrefix: 'bench-',
          plan: { kind: 'broadcast', perBackend: s.broadcasts, messageBytes: s.bytes },
        }),
    });
  },
};
