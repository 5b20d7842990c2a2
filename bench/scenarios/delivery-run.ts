/**
 * The common shape of the message scenarios: pages connect, publishers
 * connect, the relay's CPU is read, the publishers go, the pages count what
 * arrives, the CPU is read again. Everything waits on events, bounded.
 */
import type { ChildHandle } from '../lib/child-handle.js';
import { mergeEncoded, summarize } from '../lib/histogram.js';
import type { RelayProcess } from '../lib/relay-process.js';
import type { BackendsReport, PagesReport } from '../load/load-config.js';
import { groupShare, RelayNodes, type Topology } from './relay-nodes.js';
import type { RunContext, RunResult } from './scenario.js';

export interface DeliveryLoad {
  pages: number;
  /** Pages offer this subprotocol (websock.v2 for v2 pages). */
  pageSubprotocol?: string;
  /** Where the pages connect; default the relay's /web. */
  pagesUrl?: (relay: RelayProcess) => string;
  /** Open the pages as Extended CONNECT streams over this many HTTP/2 connections (the relay needs `http2`). */
  pagesH2Connections?: number;
  /** Also report the relay's RSS and heap per page: read after a GC before the pages connect and once they all have. */
  memoryPerPage?: boolean;
  /** Pusher pages: each subscribes to this channel (pagesUrl is then the app's /app/KEY). */
  pusherChannel?: string;
  /** Pusher pages of a private channel: the app credentials they sign the subscription with. */
  pusherAuth?: { key: string; secret: string };
  /** Each message goes to every page (broadcast) or to one. */
  broadcast: boolean;
  /** Distinct messages the publishers send. */
  messages: number;
  /** Start the publishers (WebSocket backends or HTTP) once the pages' uuids are known. */
  publishers(relay: RelayProcess, uuids: string[]): ChildHandle;
  /**
   * Ask the publishers to warm the relay up first (`warm`, HTTP publishers
   * with warmupPerConnection): the measured phase then starts on a relay
   * that has run. The warm-up's own CPU per request is reported too
   * (`warmupCpuPerRequestUs`), so the start-up cost stays in sight.
   */
  warmup?: boolean;
  /** Upper bound for the whole send phase. */
  sendTimeoutMs: number;
  /** How the relay under test is started. */
  relayOptions?: Parameters<RunContext['startRelay']>[0];
  /** One node, or two sharing Redis (relay-nodes.ts); default: the run's side decides. */
  topology?: Topology;
}

/** How long the pages may take, after the last send, to receive the rest. */
const DRAIN_TIMEOUT_MS = 15_000;

export async function runDeliveries(context: RunContext, load: DeliveryLoad): Promise<RunResult> {
  const cluster = await RelayNodes.start(context, load.topology ?? context.topology, load.relayOptions);
  if (load.memoryPerPage && cluster.nodes.length > 1) throw new Error('memoryPerPage is measured on one node');
  if (!load.broadcast && cluster.pageNodes.length > 1)
    throw new Error('unicast pages live on one node (the uuids are counted per pages process)');
  const first = cluster.nodes[0]!;
  if (load.memoryPerPage) await first.gc();
  const empty = load.memoryPerPage ? await first.stats() : null;
  const pageGroups = cluster.pageNodes.map((node, index) =>
    context.spawnPages({
      url: load.pagesUrl ? load.pagesUrl(node) : node.url('/web'),
      count: groupShare(load.pages, cluster.pageNodes.length, index),
      ...(load.pageSubprotocol ? { subprotocol: load.pageSubprotocol } : {}),
      ...(load.pusherChannel !== undefined ? { pusherChannel: load.pusherChannel } : {}),
      ...(load.pagesH2Connections !== undefined ? { h2Connections: load.pagesH2Connections } : {}),
      ...(load.pusherAuth !== undefined ? { pusherAuth: load.pusherAuth } : {}),
      connectConcurrency: 100,
      expect: load.broadcast ? { kind: 'broadcast', messages: load.messages } : { kind: 'unicast', messages: load.messages },
      reportUuids: !load.broadcast,
    }),
  );
  const uuids: string[] = [];
  for (const pages of pageGroups) {
    const connected = await pages.waitFor('connected', 30_000 + load.pages * 20);
    if (Array.isArray(connected.uuids)) uuids.push(...(connected.uuids as string[]));
  }
  const memory: Record<string, number> = {};
  if (empty) {
    await first.gc();
    const full = await first.stats();
    memory.rssPerPageKiB = (full.rssBytes - empty.rssBytes) / load.pages / 1024;
    memory.heapPerPageKiB = (full.heapUsedBytes - empty.heapUsedBytes) / load.pages / 1024;
  }

  const publishers = load.publishers(cluster.publisherNode, uuids);
  await publishers.waitFor('connected', 30_000);

  const warmup: Record<string, number> = {};
  if (load.warmup) {
    const cold = await cluster.read();
    const warmed = await publishers.request({ type: 'warm' }, 'warmed', load.sendTimeoutMs);
    const requests = Number(warmed.requests);
    if (Number(warmed.failed) > 0) context.log(`${String(warmed.failed)} of ${requests} warm-up requests were not accepted`);
    const hot = await cluster.read();
    warmup.warmupCpuPerRequestUs = (hot.cpuUserUs + hot.cpuSystemUs - cold.cpuUserUs - cold.cpuSystemUs) / Math.max(1, requests);
  }
  const before = await cluster.read();
  publishers.send({ type: 'go' });
  const sentReport = (await publishers.waitFor('done', load.sendTimeoutMs)).report as BackendsReport;
  try {
    await Promise.all(pageGroups.map((pages) => pages.waitFor('complete', DRAIN_TIMEOUT_MS)));
  } catch {
    // Loss: the report below shows how much; the runner fails the run.
    context.log(`pages did not receive everything within ${DRAIN_TIMEOUT_MS} ms of the last send`);
  }
  const after = await cluster.read();
  const reports = await Promise.all(
    pageGroups.map(async (pages) => (await pages.request({ type: 'report' }, 'report', 30_000)).report as PagesReport),
  );
  const received = mergeReports(reports);
  if (sentReport.errors > 0) context.log(`publishers got ${sentReport.errors} errors, the first: ${sentReport.firstError ?? ''}`);

  const sent = sentReport.sent * (load.broadcast ? load.pages : 1);
  const latency = summarize(mergeEncoded(reports.map((report) => report.histogram)));
  const seconds = Math.max(1e-6, (received.lastReceiveUs - sentReport.firstSendUs) / 1e6);
  const userUs = after.cpuUserUs - before.cpuUserUs;
  const cpuUs = userUs + after.cpuSystemUs - before.cpuSystemUs;
  const perDelivery = (us: number): number => (received.unique > 0 ? us / received.unique : 0);
  return {
    sent,
    delivered: received.unique,
    duplicates: received.duplicates + received.unexpected,
    metrics: {
      throughput: received.unique / seconds,
      p50Ms: latency.p50Ms,
      p90Ms: latency.p90Ms,
      p99Ms: latency.p99Ms,
      maxMs: latency.maxMs,
      // Across nodes: the CPU of both nodes together.
      cpuPerDeliveryUs: perDelivery(cpuUs),
      userCpuPerDeliveryUs: perDelivery(userUs),
      relayCpuMs: cpuUs / 1000,
      // Near 100 %: the relay was the bottleneck; far below: the load generators or the machine were.
      relayBusyPct: (100 * cpuUs) / (seconds * 1e6),
      peakRssMiB: after.peakRssBytes / 2 ** 20,
      // With a core for each node, the busiest one would bound the throughput (on 2 cores they share).
      busiestNodeCpuPerDeliveryUs: perDelivery(Math.max(...after.perNodeCpuUs.map((us, i) => us - before.perNodeCpuUs[i]!))),
      ...(cluster.redis ? { redisCpuPerMessageUs: ((after.redisCpuMs - before.redisCpuMs) * 1000) / Math.max(1, sentReport.sent) } : {}),
      ...memory,
      ...warmup,
    },
  };
}

/** The page groups' counts added up (the histograms are merged separately). */
function mergeReports(reports: readonly PagesReport[]): Pick<PagesReport, 'unique' | 'duplicates' | 'unexpected' | 'lastReceiveUs'> {
  return {
    unique: reports.reduce((sum, r) => sum + r.unique, 0),
    duplicates: reports.reduce((sum, r) => sum + r.duplicates, 0),
    unexpected: reports.reduce((sum, r) => sum + r.unexpected, 0),
    lastReceiveUs: Math.max(...reports.map((r) => r.lastReceiveUs)),
  };
}
