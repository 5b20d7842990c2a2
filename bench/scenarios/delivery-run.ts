/**
 * The common shape of the message scenarios: pages connect, publishers
 * connect, the relay's CPU is read, the publishers go, the pages count what
 * arrives, the CPU is read again. Everything waits on events, bounded.
 */
import type { ChildHandle } from '../lib/child-handle.js';
import { mergeEncoded, summarize } from '../lib/histogram.js';
import type { RelayProcess } from '../lib/relay-process.js';
import type { BackendsReport, PagesReport } from '../load/load-config.js';
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
  /** Upper bound for the whole send phase. */
  sendTimeoutMs: number;
  /** How the relay under test is started. */
  relayOptions?: Parameters<RunContext['startRelay']>[0];
}

/** How long the pages may take, after the last send, to receive the rest. */
const DRAIN_TIMEOUT_MS = 15_000;

export async function runDeliveries(context: RunContext, load: DeliveryLoad): Promise<RunResult> {
  const relay = await context.startRelay(load.relayOptions);
  if (load.memoryPerPage) await relay.gc();
  const empty = load.memoryPerPage ? await relay.stats() : null;
  const pages = context.spawnPages({
    url: load.pagesUrl ? load.pagesUrl(relay) : relay.url('/web'),
    count: load.pages,
    ...(load.pageSubprotocol ? { subprotocol: load.pageSubprotocol } : {}),
    ...(load.pusherChannel !== undefined ? { pusherChannel: load.pusherChannel } : {}),
    ...(load.pagesH2Connections !== undefined ? { h2Connections: load.pagesH2Connections } : {}),
    ...(load.pusherAuth !== undefined ? { pusherAuth: load.pusherAuth } : {}),
    connectConcurrency: 100,
    expect: load.broadcast ? { kind: 'broadcast', messages: load.messages } : { kind: 'unicast', messages: load.messages },
    reportUuids: !load.broadcast,
  });
  const connected = await pages.waitFor('connected', 30_000 + load.pages * 20);
  const uuids = connected.uuids as string[];
  const memory: Record<string, number> = {};
  if (empty) {
    await relay.gc();
    const full = await relay.stats();
    memory.rssPerPageKiB = (full.rssBytes - empty.rssBytes) / load.pages / 1024;
    memory.heapPerPageKiB = (full.heapUsedBytes - empty.heapUsedBytes) / load.pages / 1024;
  }

  const publishers = load.publishers(relay, uuids);
  await publishers.waitFor('connected', 30_000);

  const before = await relay.stats();
  publishers.send({ type: 'go' });
  const sentReport = (await publishers.waitFor('done', load.sendTimeoutMs)).report as BackendsReport;
  try {
    await pages.waitFor('complete', DRAIN_TIMEOUT_MS);
  } catch {
    // Loss: the report below shows how much; the runner fails the run.
    context.log(`pages did not receive everything within ${DRAIN_TIMEOUT_MS} ms of the last send`);
  }
  const after = await relay.stats();
  const received = (await pages.request({ type: 'report' }, 'report', 30_000)).report as PagesReport;
  if (sentReport.errors > 0) context.log(`publishers got ${sentReport.errors} errors, the first: ${sentReport.firstError ?? ''}`);

  const sent = sentReport.sent * (load.broadcast ? load.pages : 1);
  const latency = summarize(mergeEncoded([received.histogram]));
  const seconds = Math.max(1e-6, (received.lastReceiveUs - sentReport.firstSendUs) / 1e6);
  const userUs = after.cpuUserUs - before.cpuUserUs;
  const cpuUs = userUs + after.cpuSystemUs - before.cpuSystemUs;
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
      cpuPerDeliveryUs: received.unique > 0 ? cpuUs / received.unique : 0,
      userCpuPerDeliveryUs: received.unique > 0 ? userUs / received.unique : 0,
      relayCpuMs: cpuUs / 1000,
      // Near 100 %: the relay was the bottleneck; far below: the load generators or the machine were.
      relayBusyPct: (100 * cpuUs) / (seconds * 1e6),
      peakRssMiB: after.peakRssBytes / 2 ** 20,
      ...memory,
    },
  };
}
