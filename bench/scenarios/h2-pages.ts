/**
 * Pages over HTTP/2 (RFC 8441) against pages over HTTP/1.1, both on our
 * relay with `http2` on: the same pages as Extended CONNECT streams shared
 * by a few h2 connections, or one TCP connection each. What each page costs
 * the relay in memory once connected, and what a broadcast costs per
 * delivery. Ratio = h2 / h1 (no target: the issue asks for the ratio).
 */
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, userCpuPerDelivery } from './metric-specs.js';
import type { Scenario } from './scenario.js';

const size = (quick: boolean, tiny = false) => ({
  pages: tiny ? 20 : quick ? 500 : 1000,
  h2Connections: tiny ? 2 : quick ? 5 : 10,
  broadcasts: tiny ? 5 : quick ? 20 : 200,
  bytes: 100,
});

export const h2Pages: Scenario = {
  name: 'h2-pages',
  title: 'pages over h2 vs h1',
  sides: {
    ours: { label: 'h2 streams', relay: 'ours' },
    reference: { label: 'h1 connections', relay: 'ours' },
  },
  metrics: [
    { key: 'rssPerPageKiB', label: 'relay RSS per page, connected (KiB)', decimals: 2 },
    { key: 'heapPerPageKiB', label: 'relay heap per page, connected (KiB)', decimals: 2 },
    { key: 'throughput', label: 'throughput (deliveries/s)', decimals: 0, measures: 'throughput' },
    cpuPerDelivery(),
    userCpuPerDelivery,
    relayBusy,
    ...latencyMetrics(false),
    peakRss,
  ],
  describe(quick, tiny) {
    const s = size(quick, tiny);
    return (
      `${s.pages} pages as ${s.pages} HTTP/1.1 connections vs ${s.pages} Extended CONNECT streams over ${s.h2Connections} h2c connections ` +
      `(our relay, http2 on, both); 1 backend × ${s.broadcasts} broadcasts of ${s.bytes} B to all, waiting for next`
    );
  },
  run(context) {
    const s = size(context.quick, context.tiny);
    return runDeliveries(context, {
      pages: s.pages,
      ...(context.side === 'ours' ? { pagesH2Connections: s.h2Connections } : {}),
      memoryPerPage: true,
      relayOptions: { settings: { http2: true } },
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
