/**
 * Large: big feedback messages relayed intact, one after the other (each
 * sent once the previous one has arrived), several per run: the time is the
 * median of the messages, so one slow moment of the machine does not decide
 * the verdict. Peak memory is taken per message: before each one the relay
 * collects garbage and its peak RSS (VmHWM) is reset, so each peak is what
 * relaying that one message costs, not what the previous one left for the
 * collector; the worst message counts. The run's RSS growth without that
 * help is shown too.
 */
import type { BackendsReport, PagesReport } from '../load/load-config.js';
import { median } from '../lib/compare.js';
import type { MetricSpec, Scenario } from './scenario.js';

const MiB = 2 ** 20;
/** Our relay is started with room for the largest message plus its JSON envelope. */
const MAX_MESSAGE_BYTES = 80 * MiB;

/** Messages per run: enough for a steady median, few enough for a practical full run. */
function messagesPerRun(sizeMiB: number, quick: boolean): number {
  if (quick) return 3;
  return sizeMiB <= 1 ? 10 : sizeMiB <= 16 ? 5 : 3;
}

export function largeScenario(sizeMiB: number, options: { fullOnly?: boolean } = {}): Scenario {
  const bytes = sizeMiB * MiB;
  const peakRssMetric: MetricSpec =
    sizeMiB >= 64
      ? {
          key: 'peakRssMiB',
          label: 'relay peak RSS, worst message (MiB)',
          decimals: 1,
          absoluteTarget: { op: '<=', value: 3 * sizeMiB, label: `≤ 3 × ${sizeMiB} MiB` },
        }
      : { key: 'peakRssMiB', label: 'relay peak RSS, worst message (MiB)', decimals: 1 };
  return {
    name: `large-${sizeMiB}MiB`,
    title: `large ${sizeMiB} MiB`,
    ...(options.fullOnly ? { fullOnly: true } : {}),
    metrics: [
      {
        key: 'throughput',
        label: 'throughput (MiB/s, median message)',
        decimals: 1,
        measures: 'throughput',
        ratioTarget: { op: '>=', value: 0.8 },
      },
      { key: 'timeMs', label: 'time per message (ms, median)', decimals: 1 },
      { key: 'timeSpreadPct', label: 'slowest/fastest message in a run (%)', decimals: 0 },
      peakRssMetric,
      { key: 'rssGrowthMiB', label: 'relay RSS growth, first message (MiB)', decimals: 1 },
    ],
    describe(quick) {
      return `${messagesPerRun(sizeMiB, quick)} feedback with a ${sizeMiB} MiB message each, one after the other, backend → page, checked by sha256`;
    },
    async run(context) {
      const count = messagesPerRun(sizeMiB, context.quick);
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
      const timesMs: number[] = [];
      const peaksMiB: number[] = [];
      let growthMiB = Number.NaN;
      let delivered = 0;
      for (let m = 0; m < count; m++) {
        if (m > 0) await pages.request({ type: 'rearm' }, 'rearmed', 30_000);
        await relay.gc();
        const resetOk = await relay.resetPeak();
        const before = await relay.stats();
        backends.send({ type: 'go' });
        const sent = (await backends.waitFor('done', 120_000)).report as BackendsReport;
        try {
          await pages.waitFor('complete', 60_000);
        } catch {
          context.log(`${sizeMiB} MiB message ${m + 1} did not arrive within 60 s of the send`);
          break;
        }
        const received = (await pages.request({ type: 'report' }, 'report', 60_000)).report as PagesReport;
        const intact = received.largeBytes === bytes && received.largeSha256 === sent.largeSha256;
        if (!intact) {
          context.log(`${sizeMiB} MiB message ${m + 1} arrived CORRUPT (${received.largeBytes} bytes)`);
          continue;
        }
        delivered++;
        timesMs.push(Math.max(1e-3, (received.lastReceiveUs - sent.firstSendUs) / 1000));
        const after = await relay.stats();
        // Without a reset (not Linux) only the first message's peak is its own.
        if (resetOk || m === 0) peaksMiB.push(after.peakRssBytes / MiB);
        if (m === 0) growthMiB = (after.peakRssBytes - before.rssBytes) / MiB;
      }
      const timeMs = median(timesMs) ?? Number.NaN;
      return {
        sent: count,
        delivered,
        duplicates: 0,
        metrics: {
          throughput: sizeMiB / (timeMs / 1000),
          timeMs,
          timeSpreadPct: timesMs.length > 0 ? (100 * Math.max(...timesMs)) / Math.min(...timesMs) : Number.NaN,
          peakRssMiB: peaksMiB.length > 0 ? Math.max(...peaksMiB) : Number.NaN,
          rssGrowthMiB: growthMiB,
        },
      };
    },
  };
}
