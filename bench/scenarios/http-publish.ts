/** HTTP publish: `POST /feedback` over keep-alive connections, each waiting for its answer (the outcome). */
import { BENCH_PUBLISH_SECRET } from '../servers/serve-bench.js';
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, throughput, userCpuPerDelivery } from './metric-specs.js';
import type { Scenario } from './scenario.js';

const size = (quick: boolean) => ({ connections: 10, perConnection: quick ? 300 : 1000, pages: 50, bytes: 100 });

export const httpPublish: Scenario = {
  name: 'http-publish',
  title: 'HTTP publish',
  metrics: [throughput('msg/s'), ...latencyMetrics(false), cpuPerDelivery(), userCpuPerDelivery, relayBusy, peakRss],
  describe(quick) {
    const s = size(quick);
    return `${s.connections} keep-alive connections × ${s.perConnection} POST /feedback of ${s.bytes} B to ${s.pages} pages, one request at a time each`;
  },
  run(context) {
    const s = size(context.quick);
    return runDeliveries(context, {
      pages: s.pages,
      broadcast: false,
      messages: s.connections * s.perConnection,
      sendTimeoutMs: 180_000,
      publishers: (relay, uuids) =>
        context.spawnHttpPublishers({
          url: `http://127.0.0.1:${relay.port}/feedback`,
          connections: s.connections,
          perConnection: s.perConnection,
          messageBytes: s.bytes,
          uuids,
          secret: BENCH_PUBLISH_SECRET,
        }),
    });
  },
};
