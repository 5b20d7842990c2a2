/**
 * HTTP publish: `POST /feedback` over keep-alive connections, each waiting
 * for its answer (the outcome). Three ways PHP jobs publish: from an allowed
 * IP (no secret), with a bearer secret, and 100 messages per
 * `POST /feedback/batch`. CPU is per message, so the batch row says what a
 * batch saves against one request per message.
 */
import { BENCH_PUBLISH_SECRET } from '../servers/serve-bench.js';
import { runDeliveries } from './delivery-run.js';
import { cpuPerDelivery, latencyMetrics, peakRss, relayBusy, userCpuPerDelivery } from './metric-specs.js';
import type { MetricSpec, Scenario } from './scenario.js';

interface Variant {
  name: string;
  title: string;
  /** Leave out of --quick (the plain variant covers the same code there). */
  fullOnly?: boolean;
  secret: boolean;
  batchSize: number;
  size(
    quick: boolean,
    tiny: boolean,
  ): { connections: number; perConnection: number; warmupPerConnection: number; pages: number; bytes: number };
}

/** Parity with the thinnest relay: at least as many requests per second, at most as much CPU per request. */
const parityThroughput: MetricSpec = {
  key: 'throughput',
  label: 'throughput (msg/s)',
  decimals: 0,
  measures: 'throughput',
  ratioTarget: { op: '>=', value: 1 },
};

function httpScenario(variant: Variant): Scenario {
  const cpu: MetricSpec = {
    ...cpuPerDelivery({ op: '<=', value: 1 }),
    label: variant.batchSize > 1 ? 'relay CPU per message (µs)' : 'relay CPU per request (µs)',
  };
  return {
    name: variant.name,
    title: variant.title,
    ...(variant.fullOnly ? { fullOnly: true } : {}),
    metrics: [parityThroughput, ...latencyMetrics(false), cpu, userCpuPerDelivery, relayBusy, peakRss, warmupCpu(variant.batchSize)],
    describe(quick, tiny = false) {
      const s = variant.size(quick, tiny);
      const what =
        variant.batchSize > 1
          ? `${s.perConnection / variant.batchSize} POST /feedback/batch of ${variant.batchSize} messages`
          : `${s.perConnection} POST /feedback`;
      return `${s.connections} keep-alive connections × ${what} (${s.bytes} B each, ${variant.secret ? 'bearer secret' : 'allowedIP, no secret'}) to ${s.pages} pages, one request at a time each, after a warm-up of ${s.warmupPerConnection} messages per connection`;
    },
    run(context) {
      const s = variant.size(context.quick, context.tiny);
      return runDeliveries(context, {
        pages: s.pages,
        broadcast: false,
        messages: s.connections * s.perConnection,
        warmup: true,
        sendTimeoutMs: 180_000,
        ...(variant.secret ? { relayOptions: { publishSecret: BENCH_PUBLISH_SECRET } } : {}),
        publishers: (relay, uuids) =>
          context.spawnHttpPublishers({
            baseUrl: `http://127.0.0.1:${relay.port}`,
            connections: s.connections,
            perConnection: s.perConnection,
            warmupPerConnection: s.warmupPerConnection,
            batchSize: variant.batchSize,
            messageBytes: s.bytes,
            uuids,
            secret: variant.secret ? BENCH_PUBLISH_SECRET : null,
          }),
      });
    },
  };
}

/**
 * A fresh relay process costs about twice as much per request over its
 * first few thousand requests as later (JIT compilation, heap growth), ours
 * and the reference alike: the warm-up keeps that start-up out of the
 * per-request figures, and reports it on a row of its own.
 */
function warmupCpu(batchSize: number): MetricSpec {
  return {
    key: 'warmupCpuPerRequestUs',
    label: batchSize > 1 ? 'relay CPU per warm-up batch of 100 (µs, start-up)' : 'relay CPU per warm-up request (µs, start-up)',
    decimals: 2,
  };
}

const single = (quick: boolean, tiny: boolean) => ({
  connections: tiny ? 2 : 10,
  perConnection: tiny ? 20 : quick ? 200 : 2000,
  warmupPerConnection: tiny ? 5 : quick ? 100 : 500,
  pages: tiny ? 5 : 50,
  bytes: 100,
});

export const httpPublish = httpScenario({ name: 'http-publish', title: 'HTTP publish', secret: false, batchSize: 1, size: single });

export const httpPublishSecret = httpScenario({
  name: 'http-publish-secret',
  title: 'HTTP publish, bearer secret',
  fullOnly: true,
  secret: true,
  batchSize: 1,
  size: single,
});

export const httpBatch = httpScenario({
  name: 'http-batch',
  title: 'HTTP batch of 100',
  secret: true,
  batchSize: 100,
  size: (quick, tiny) => ({
    connections: tiny ? 2 : 10,
    perConnection: tiny ? 200 : quick ? 500 : 3000,
    warmupPerConnection: tiny ? 100 : quick ? 500 : 1000,
    pages: tiny ? 5 : 50,
    bytes: 100,
  }),
});
