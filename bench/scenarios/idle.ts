/** Idle: many open page connections; what each costs the relay in memory. */
import type { Scenario } from './scenario.js';

const size = (quick: boolean) => ({ pages: quick ? 1000 : 10_000 });

export const idle: Scenario = {
  name: 'idle',
  title: 'idle connections',
  metrics: [
    { key: 'throughput', label: 'connect rate (conn/s)', decimals: 0, measures: 'throughput', ratioTarget: { op: '>=', value: 0.8 } },
    { key: 'rssPerConnectionKiB', label: 'relay RSS per connection (KiB)', decimals: 2, ratioTarget: { op: '<=', value: 1.25 } },
    { key: 'heapPerConnectionKiB', label: 'relay heap per connection (KiB)', decimals: 2 },
    { key: 'rssMiB', label: 'relay RSS with all open (MiB)', decimals: 1 },
  ],
  describe(quick) {
    return `${size(quick).pages} page connections held open (100 handshakes in flight)`;
  },
  async run(context) {
    const { pages: count } = size(context.quick);
    const relay = await context.startRelay();
    await relay.gc();
    const before = await relay.stats();
    const pages = context.spawnPages({
      url: relay.url('/web'),
      count,
      connectConcurrency: 100,
      expect: { kind: 'none' },
      reportUuids: false,
    });
    const connected = await pages.waitFor('connected', 60_000 + count * 20);
    await relay.gc();
    const after = await relay.stats();
    const connectMs = connected.connectMs as number;
    return {
      sent: count,
      delivered: count,
      duplicates: 0,
      metrics: {
        throughput: count / Math.max(1e-6, connectMs / 1000),
        rssPerConnectionKiB: (after.rssBytes - before.rssBytes) / count / 1024,
        heapPerConnectionKiB: (after.heapUsedBytes - before.heapUsedBytes) / count / 1024,
        rssMiB: after.rssBytes / 2 ** 20,
      },
    };
  },
};
