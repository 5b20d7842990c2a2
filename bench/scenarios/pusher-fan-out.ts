/**
 * Pusher fan-out: 1 000 Pusher subscribers of one channel, events published
 * through the signed HTTP API one request at a time; then, in the same run,
 * the same load in the relay's own protocol v2: 1 000 v2 pages and as many
 * broadcasts of the same size from one backend (the relay's way to reach
 * every page at once), each waiting for `next` as the Pusher publisher waits
 * for each answer. The ratio rows give Pusher against v2. The reference
 * relay speaks no Pusher: it runs the v2 half only, so its column has the
 * v2 rows.
 */
import { BENCH_PUSHER_APP } from '../servers/serve-bench.js';
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy } from './metric-specs.js';
import type { MetricSpec, RunResult, Scenario } from './scenario.js';

const CHANNEL = 'bench-fan-out';
const size = (quick: boolean) => ({ pages: quick ? 200 : 1000, events: quick ? 20 : 200, bytes: 100 });

const ratioMetrics: MetricSpec[] = [
  { key: 'v2Throughput', label: 'v2 throughput, same load (deliveries/s)', decimals: 0, measures: 'throughput' },
  { key: 'v2CpuPerDeliveryUs', label: 'v2 relay CPU per delivery (µs)', decimals: 2, measures: 'cpuPerDelivery' },
  { key: 'pusherToV2Throughput', label: 'Pusher / v2 throughput', decimals: 2 },
  { key: 'pusherToV2Cpu', label: 'Pusher / v2 CPU per delivery', decimals: 2 },
];

export const pusherFanOut: Scenario = {
  name: 'pusher-fan-out',
  title: 'Pusher fan-out (HTTP API events) vs v2',
  metrics: [
    { key: 'throughput', label: 'Pusher throughput (deliveries/s)', decimals: 0, measures: 'throughput' },
    cpuPerDelivery(),
    relayBusy,
    ...latencyMetrics(false),
    peakRss,
    ...ratioMetrics,
  ],
  describe(quick) {
    const s = size(quick);
    return `${s.events} Pusher events of ${s.bytes} B via POST /apps/{id}/events to ${s.pages} subscribers of one channel; then the same with ${s.pages} v2 pages and broadcasts (the reference runs only this half)`;
  },
  async run(context): Promise<RunResult> {
    const s = size(context.quick);
    const runV2 = (): Promise<RunResult> =>
      runDeliveries(context, {
        pages: s.pages,
        pageSubprotocol: 'websock.v2',
        broadcast: true,
        messages: s.events,
        sendTimeoutMs: 120_000,
        publishers: (relay) =>
          context.spawnBackends({
            url: relay.url('/php'),
            count: 1,
            identPrefix: 'bench-',
            plan: { kind: 'broadcast', perBackend: s.events, messageBytes: s.bytes },
          }),
      });
    if (context.relayKind !== 'ours') {
      // The reference speaks no Pusher: it runs the v2 half, so the v2 rows compare the two relays.
      const v2 = await runV2();
      return {
        ...v2,
        metrics: { v2Throughput: v2.metrics.throughput ?? Number.NaN, v2CpuPerDeliveryUs: v2.metrics.cpuPerDeliveryUs ?? Number.NaN },
      };
    }
    const pusher = await runDeliveries(context, {
      pages: s.pages,
      pagesUrl: (relay) => relay.url(`/app/${BENCH_PUSHER_APP.key}?protocol=7&client=bench&version=8.4.0`),
      pusherChannel: CHANNEL,
      broadcast: true,
      messages: s.events,
      sendTimeoutMs: 120_000,
      publishers: (relay) =>
        context.spawnHttpPublishers({
          baseUrl: `http://127.0.0.1:${relay.port}`,
          connections: 1,
          perConnection: s.events,
          batchSize: 1,
          messageBytes: s.bytes,
          uuids: [],
          secret: null,
          pusher: { ...BENCH_PUSHER_APP, channel: CHANNEL },
        }),
    });
    const v2 = await runV2();
    const ratio = (a: number | undefined, b: number | undefined): number => (a !== undefined && b ? a / b : Number.NaN);
    return {
      sent: pusher.sent + v2.sent,
      delivered: pusher.delivered + v2.delivered,
      duplicates: pusher.duplicates + v2.duplicates,
      metrics: {
        ...pusher.metrics,
        v2Throughput: v2.metrics.throughput ?? Number.NaN,
        v2CpuPerDeliveryUs: v2.metrics.cpuPerDeliveryUs ?? Number.NaN,
        pusherToV2Throughput: ratio(pusher.metrics.throughput, v2.metrics.throughput),
        pusherToV2Cpu: ratio(pusher.metrics.cpuPerDeliveryUs, v2.metrics.cpuPerDeliveryUs),
      },
    };
  },
};
