/**
 * The common shape of the message scenarios: pages connect, backends
 * connect, the relay's CPU is read, the backends go, the pages count what
 * arrives, the CPU is read again. Everything waits on events, bounded.
 */
import { mergeEncoded, summarize } from '../lib/histogram.js';
import type { BackendPlan, BackendsReport, PagesReport } from '../load/load-config.js';
import type { RunContext, RunResult } from './scenario.js';

export interface DeliveryLoad {
  pages: number;
  backends: number;
  /** Builds the backends' plan from the pages' uuids. */
  plan(uuids: string[]): BackendPlan;
  /** Each message goes to every page (broadcast) or to one. */
  broadcast: boolean;
  /** Upper bound for the whole send phase. */
  sendTimeoutMs: number;
}

/** How long the pages may take, after the last send, to receive the rest. */
const DRAIN_TIMEOUT_MS = 15_000;

export async function runDeliveries(context: RunContext, load: DeliveryLoad): Promise<RunResult> {
  const relay = await context.startRelay();
  const probe = load.plan([]);
  const messages = probe.kind === 'large' ? 1 : probe.perBackend * load.backends;
  const pages = context.spawnPages({
    url: relay.url('/web'),
    count: load.pages,
    connectConcurrency: 100,
    expect: load.broadcast ? { kind: 'broadcast', messages } : { kind: 'unicast', messages },
    reportUuids: !load.broadcast,
  });
  const connected = await pages.waitFor('connected', 30_000 + load.pages * 20);
  const uuids = connected.uuids as string[];

  const backends = context.spawnBackends({ url: relay.url('/php'), count: load.backends, identPrefix: 'bench-', plan: load.plan(uuids) });
  await backends.waitFor('connected', 30_000);

  const before = await relay.stats();
  backends.send({ type: 'go' });
  const done = await backends.waitFor('done', load.sendTimeoutMs);
  const sentReport = done.report as BackendsReport;
  try {
    await pages.waitFor('complete', DRAIN_TIMEOUT_MS);
  } catch {
    // Loss: the report below shows how much; the runner fails the run.
    context.log(`pages did not receive everything within ${DRAIN_TIMEOUT_MS} ms of the last send`);
  }
  const after = await relay.stats();
  const received = (await pages.request({ type: 'report' }, 'report', 30_000)).report as PagesReport;

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
      peakRssMiB: after.peakRssBytes / 2 ** 20,
    },
  };
}
