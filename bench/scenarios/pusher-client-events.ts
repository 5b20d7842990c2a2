/**
 * Pusher client-event throughput: pages subscribed to one private channel,
 * one Pusher client of the same channel sending client events as fast as
 * its socket takes them (pipelined); every page receives each. Then, in the
 * same run, the same load in the relay's own protocol v2: as many v2 pages
 * and broadcasts of the same size from one backend. The ratio rows give
 * Pusher against v2. The reference relay speaks no Pusher: it runs the v2
 * half only, so its column has the v2 rows.
 *
 * The bench app's clientEventRate is raised (bench/servers/our-relay.ts):
 * Pusher's 10 a second per connection would measure the limit, not the relay.
 */
import { BENCH_PUSHER_APP } from '../servers/serve-bench.js';
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy } from './metric-specs.js';
import type { RunContext, RunResult, Scenario } from './scenario.js';

const CHANNEL = 'private-bench-client-events';
const size = (quick: boolean) => ({ pages: quick ? 50 : 200, events: quick ? 200 : 2000, bytes: 100 });

function v2Half(context: RunContext, s: ReturnType<typeof size>): Promise<RunResult> {
  return runDeliveries(context, {
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
}

export const pusherClientEvents: Scenario = {
  name: 'pusher-client-events',
  title: 'Pusher client events vs v2 broadcasts',
  metrics: [
    { key: 'throughput', label: 'Pusher client-event throughput (deliveries/s)', decimals: 0, measures: 'throughput' },
    cpuPerDelivery(),
    relayBusy,
    ...latencyMetrics(false),
    peakRss,
    { key: 'v2Throughput', label: 'v2 throughput, same load (deliveries/s)', decimals: 0, measures: 'throughput' },
    { key: 'v2CpuPerDeliveryUs', label: 'v2 relay CPU per delivery (µs)', decimals: 2, measures: 'cpuPerDelivery' },
    { key: 'pusherToV2Throughput', label: 'Pusher / v2 throughput', decimals: 2 },
    { key: 'pusherToV2Cpu', label: 'Pusher / v2 CPU per delivery', decimals: 2 },
  ],
  describe(quick) {
    const s = size(quick);
    return `${s.events} client events of ${s.bytes} B from one Pusher client to ${s.pages} subscribers of one private channel; then ${s.pages} v2 pages and as many broadcasts from one backend (the reference runs only this half)`;
  },
  async run(context): Promise<RunResult> {
    const s = size(context.quick);
    if (context.relayKind !== 'ours') {
      const v2 = await v2Half(context, s);
      return {
        ...v2,
        metrics: { v2Throughput: v2.metrics.throughput ?? Number.NaN, v2CpuPerDeliveryUs: v2.metrics.cpuPerDeliveryUs ?? Number.NaN },
      };
    }
    const app = { key: BENCH_PUSHER_APP.key, secret: BENCH_PUSHER_APP.secret };
    const appUrl = (relay: { url(path: string): string }): string => relay.url(`/app/${app.key}?protocol=7&client=bench&version=8.4.0`);
    const pusher = await runDeliveries(context, {
      pages: s.pages,
      pagesUrl: appUrl,
      pusherChannel: CHANNEL,
      pusherAuth: app,
      broadcast: true,
      messages: s.events,
      sendTimeoutMs: 120_000,
      publishers: (relay) =>
        context.spawnBackends({
          url: appUrl(relay),
          count: 1,
          identPrefix: 'bench-',
          plan: { kind: 'client-events', perBackend: s.events, messageBytes: s.bytes, channel: CHANNEL, ...app },
        }),
    });
    const v2 = await v2Half(context, s);
    const ratio = (a: number | undefined, b: number | undefined): number => (a !== undefined && b ? a / b : Number.NaN);
    return {
      ...pusher,
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
