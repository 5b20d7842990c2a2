/**
 * Many v2 pages, each having received a few messages, then idle: what a
 * page costs the relay in memory once its session retains what it was sent
 * (a v2 page's messages are kept for resume, within retentionCount,
 * retentionSize and retentionAge). The reference keeps no sessions: the
 * ratio is the price of resumability.
 */
import { SUBPROTOCOL_V2 } from '../../include/protocol.js';
import type { BackendsReport, PagesReport } from '../load/load-config.js';
import type { Scenario } from './scenario.js';

const size = (quick: boolean) => ({ pages: quick ? 1000 : 10_000, messagesPerPage: 10, bytes: 100 });

/** One gauge of our relay's GET /metrics (the reference has none: null). */
async function gauge(port: number, name: string): Promise<number | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return null;
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(await response.text());
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export const v2PagesMemory: Scenario = {
  name: 'v2-pages-memory',
  title: 'v2 pages, 10 messages each, idle',
  metrics: [
    { key: 'rssPerPageKiB', label: 'relay RSS per page (KiB)', decimals: 2 },
    { key: 'heapPerPageKiB', label: 'relay heap per page (KiB)', decimals: 2 },
    { key: 'retainedPerPageKiB', label: 'retained per page (KiB of messages)', decimals: 2 },
    { key: 'retainedMessagesPerPage', label: 'retained messages per page', decimals: 1 },
    { key: 'rssMiB', label: 'relay RSS, all pages idle (MiB)', decimals: 1 },
    { key: 'peakRssMiB', label: 'relay peak RSS (MiB)', decimals: 1 },
  ],
  describe(quick) {
    const s = size(quick);
    return `${s.pages} v2 pages; one v2 backend sends ${s.messagesPerPage} feedback of ${s.bytes} B to each (pipelined); then idle, after a GC`;
  },
  async run(context) {
    const s = size(context.quick);
    const relay = await context.startRelay();
    await relay.gc();
    const before = await relay.stats();
    const messages = s.pages * s.messagesPerPage;
    const pages = context.spawnPages({
      url: relay.url('/web'),
      count: s.pages,
      subprotocol: SUBPROTOCOL_V2,
      connectConcurrency: 100,
      expect: { kind: 'unicast', messages },
      reportUuids: true,
    });
    const uuids = (await pages.waitFor('connected', 60_000 + s.pages * 20)).uuids as string[];
    const backends = context.spawnBackends({
      url: relay.url('/php'),
      count: 1,
      identPrefix: 'bench-',
      subprotocol: SUBPROTOCOL_V2,
      plan: { kind: 'feedback', perBackend: messages, messageBytes: s.bytes, uuids, pipelined: true },
    });
    await backends.waitFor('connected', 30_000);
    backends.send({ type: 'go' });
    const sent = (await backends.waitFor('done', 120_000)).report as BackendsReport;
    try {
      await pages.waitFor('complete', 30_000);
    } catch {
      context.log('the pages did not receive every message within 30 s of the last send');
    }
    const received = (await pages.request({ type: 'report' }, 'report', 30_000)).report as PagesReport;
    await relay.gc();
    const after = await relay.stats();
    // Read after the memory figures: the first scrape starts prom-client's process collectors.
    const retainedBytes = await gauge(relay.port, 'websock_retained_bytes');
    const retainedMessages = await gauge(relay.port, 'websock_retained_messages');
    return {
      sent: sent.sent,
      delivered: received.unique,
      duplicates: received.duplicates + received.unexpected,
      metrics: {
        rssPerPageKiB: (after.rssBytes - before.rssBytes) / s.pages / 1024,
        heapPerPageKiB: (after.heapUsedBytes - before.heapUsedBytes) / s.pages / 1024,
        retainedPerPageKiB: retainedBytes === null ? Number.NaN : retainedBytes / s.pages / 1024,
        retainedMessagesPerPage: retainedMessages === null ? Number.NaN : retainedMessages / s.pages,
        rssMiB: after.rssBytes / 2 ** 20,
        peakRssMiB: after.peakRssBytes / 2 ** 20,
      },
    };
  },
};
