/** Large: one big feedback relayed intact; time and the relay's peak memory. */
import type { BackendsReport, PagesReport } from '../load/load-config.js';
import type { MetricSpec, Scenario } from './scenario.js';

const MiB = 2 ** 20;
/** Our relay is started with room for the largest message plus its JSON envelope. */
const MAX_MESSAGE_BYTES = 80 * MiB;

export function largeScenario(sizeMiB: number, options: { fullOnly?: boolean } = {}): Scenario {
  const bytes = sizeMiB * MiB;
  const peakRssMetric: MetricSpec =
    sizeMiB >= 64
      ? {
          key: 'peakRssMiB',
          label: 'relay peak RSS (MiB)',
          decimals: 1,
          absoluteTarget: { op: '<=', value: 3 * sizeMiB, label: `≤ 3 × ${sizeMiB} MiB` },
        }
      : { key: 'peakRssMiB', label: 'relay peak RSS (MiB)', decimals: 1 };
  return {
    name: `large-${sizeMiB}MiB`,
    title: `large ${sizeMiB} MiB`,
    ...(options.fullOnly ? { fullOnly: true } : {}),
    metrics: [
      { key: 'throughput', label: 'throughput (MiB/s)', decimals: 1, ratioTarget: { op: '>=', value: 0.8 } },
      { key: 'timeMs', label: 'time (ms)', decimals: 1 },
      peakRssMetric,
      { key: 'rssGrowthMiB', label: 'relay RSS growth (MiB)', decimals: 1 },
    ],
    describe() {
      return `1 feedback with a ${sizeMiB} MiB message, backend → page, checked by sha256`;
    },
    async run(context) {
      const relay = await context.startRelay({ maxMessageBytes: MAX_MESSAGE_BYTES });
      const pages = context.spawnPages({
        url: relay.url('/web'),
        count: 1,
        connectConcurrency: 1,
        expect: { kind: 'large' },
        reportUuids: true,
      });
      const uuid = ((await pages.waitFor('connected', 30_000)).uuids as string[])[0]!;
      const backends = context.spawnBackends({
        url: relay.url('/php'),
        count: 1,
        identPrefix: 'bench-',
        plan: { kind: 'large', bytes, uuid },
      });
      await backends.waitFor('connected', 60_000);
      await relay.gc();
      const before = await relay.stats();
      backends.send({ type: 'go' });
      const sent = (await backends.waitFor('done', 120_000)).report as BackendsReport;
      try {
        await pages.waitFor('complete', 60_000);
      } catch {
        context.log(`the ${sizeMiB} MiB message did not arrive within 60 s of the send`);
      }
      const after = await relay.stats();
      const received = (await pages.request({ type: 'report' }, 'report', 60_000)).report as PagesReport;
      const intact = received.largeBytes === bytes && received.largeSha256 === sent.largeSha256;
      if (received.unique > 0 && !intact) context.log(`the ${sizeMiB} MiB message arrived CORRUPT (${received.largeBytes} bytes)`);
      const seconds = Math.max(1e-6, (received.lastReceiveUs - sent.firstSendUs) / 1e6);
      return {
        sent: 1,
        delivered: intact ? 1 : 0,
        duplicates: 0,
        metrics: {
          throughput: intact ? sizeMiB / seconds : 0,
          timeMs: seconds * 1000,
          peakRssMiB: after.peakRssBytes / MiB,
          rssGrowthMiB: (after.peakRssBytes - before.rssBytes) / MiB,
        },
      };
    },
  };
}
