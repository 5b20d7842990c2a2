import { Counter, Gauge, Registry } from 'prom-client';
import type { EngineTelemetry } from '../engine/engine-telemetry.js';
import { TRANSPORT_KINDS } from '../transport/accepted-websocket.js';
import type { Connection } from '../transport/connection.js';
import { registerEngineMetrics } from './engine-metrics.js';
import { PlainHistogram } from './plain-histogram.js';
import { processRegistry } from './process-metrics.js';
import type { RelayStats } from './relay-stats.js';

/** What the metrics read from a relay when scraped. */
export interface MetricsSource {
  readonly stats: RelayStats;
  readonly hub: { all(): Iterable<Connection> };
  readonly sessions: { readonly size: number; retained(): { messages: number; bytes: number } };
  readonly inFlight: { readonly bytes: number };
  bufferedBytes(): number;
  /** The engine's own counters: null for the memory engine (no engine metrics then). */
  readonly engine: { readonly telemetry: EngineTelemetry | null };
}

/** Where a publish came in: the HTTP API or a WebSocket client. */
export type PublishSource = 'http' | 'websocket';

/** The HTTP publish endpoints, as labelled in the request counter. */
export type PublishEndpoint = 'feedback' | 'batch';

/** Seconds; relaying is in-process, so the interesting range is tens of microseconds to a second. */
const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const PREFIX = 'websock_';

/**
 * The Prometheus view of one relay, in its own registry (so several relays
 * in one process do not clash). Nearly everything is read from the relay's
 * plain counters at scrape time; only the latency histogram and the HTTP
 * request counts are fed as things happen, and both with plain arithmetic
 * (no label hashing per request: that was a visible share of an HTTP publish).
 */
export class RelayMetrics {
  readonly registry = new Registry();
  readonly #observeHttp: (seconds: number) => void;
  readonly #observeWebSocket: (seconds: number) => void;
  /** Answered publish requests by endpoint, then by status code. */
  readonly #publishCounts: Record<PublishEndpoint, Map<number, number>> = { feedback: new Map(), batch: new Map() };

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    const { stats, hub, sessions } = source;

    new Gauge({
      name: `${PREFIX}connections`,
      help: 'Open WebSocket connections by client kind, protocol version and transport (h1: HTTP/1.1 upgrade, h2: HTTP/2 Extended CONNECT).',
      labelNames: ['kind', 'protocol', 'transport'] as const,
      registers,
      collect() {
        const counts = new Map<string, number>();
        for (const kind of ['browser', 'backend'])
          for (const protocol of ['1', '2']) for (const transport of TRANSPORT_KINDS) counts.set(`${kind} ${protocol} ${transport}`, 0);
        for (const conn of hub.all()) {
          const key = `${conn.kind} ${conn.protocol} ${conn.transport}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        this.reset();
        for (const [key, count] of counts) {
          const [kind, protocol, transport] = key.split(' ') as [string, string, string];
          this.set({ kind, protocol, transport }, count);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}buffered_bytes`,
      help: 'Bytes queued for all connections but not yet written to the network.',
      registers,
      collect() {
        this.set(source.bufferedBytes());
      },
    });
    new Gauge({
      name: `${PREFIX}sessions`,
      help: 'Resumable v2 page sessions, connected or waiting for a resume.',
      registers,
      collect() {
        this.set(sessions.size);
      },
    });
    new Gauge({
      name: `${PREFIX}retained_messages`,
      help: 'Messages held in retention for resumable pages.',
      registers,
      collect() {
        this.set(sessions.retained().messages);
      },
    });
    new Gauge({
      name: `${PREFIX}retained_bytes`,
      help: 'Bytes held for resumable pages: retained messages and the latest progress message of each job.',
      registers,
      collect() {
        this.set(sessions.retained().bytes);
      },
    });

    new Gauge({
      name: `${PREFIX}in_flight_bytes`,
      help: 'Bytes of messages clients have begun and not finished (fragments, partial frames, bufferON chunks).',
      registers,
      collect() {
        this.set(source.inFlight.bytes);
      },
    });

    readCounter(registers, 'messages_in_total', 'WebSocket data messages received.', () => stats.messagesIn);
    readCounter(registers, 'bytes_in_total', 'Bytes of WebSocket data messages received.', () => stats.bytesIn);
    readCounter(registers, 'messages_out_total', 'Messages written to clients.', () => stats.messagesOut);
    readCounter(registers, 'bytes_out_total', 'Bytes of messages written to clients.', () => stats.bytesOut);
    readCounter(registers, 'evictions_total', 'Browsers evicted for not answering a ping.', () => stats.evictions);
    readCounter(registers, 'throttled_total', 'Times a connection was paused for sending over maxMessageRate.', () => stats.throttled);
    readCounter(
      registers,
      'publish_refused_total',
      'Messages the publish policy refused (pages addressing what they may not).',
      () => stats.publishRefused,
    );
    readCounter(registers, 'replayed_messages_total', 'Messages replayed to pages that resumed.', () => stats.replayed);
    readCounter(
      registers,
      'reads_paused_total',
      'Times a connection was not read because more than maxBuffered of replies to it waited.',
      () => stats.readsPaused,
    );
    readLabelledCounter(
      registers,
      'sessions_evicted_total',
      'Page sessions dropped by a memory bound (budget: retentionTotal, per_ip: maxSessionsPerIP), or connected pages whose history retentionTotal took (history).',
      'reason',
      () => Object.entries(stats.sessionEvictions),
    );
    readLabelledCounter(
      registers,
      'in_flight_refusals_total',
      'Connections closed for an unfinished message: over inFlightTotal (budget) or past messageTimeout (timeout).',
      'reason',
      () => Object.entries(stats.inFlightRefusals),
    );
    readLabelledCounter(registers, 'outcomes_total', 'Feedback outcomes (delivered, held, unknown, dropped, failed).', 'outcome', () =>
      Object.entries(stats.outcomes),
    );
    readLabelledCounter(registers, 'drops_total', 'Messages not written to a recipient, by reason.', 'reason', () =>
      Object.entries(stats.drops),
    );
    readLabelledCounter(registers, 'handshake_rejections_total', 'Refused WebSocket handshakes, by reason.', 'reason', () =>
      stats.rejections.entries(),
    );
    readLabelledCounter(registers, 'protocol_errors_total', 'Errors reported to clients for bad input, by error code.', 'code', () =>
      stats.protocolErrors.entries(),
    );
    readLabelledCounter(registers, 'resumes_total', 'Session resumes: ok (every missed message replayed) or failed.', 'result', () => [
      ['ok', stats.resumes],
      ['failed', stats.resumesFailed],
    ]);

    const publishCounts = this.#publishCounts;
    new Counter({
      name: `${PREFIX}http_publish_requests_total`,
      help: 'HTTP publish requests by endpoint and status code.',
      labelNames: ['endpoint', 'status'] as const,
      registers,
      collect() {
        this.reset();
        for (const endpoint of ['feedback', 'batch'] as const) {
          for (const [status, count] of publishCounts[endpoint]) this.inc({ endpoint, status: String(status) }, count);
        }
      },
    });
    const latency = new PlainHistogram({
      name: `${PREFIX}relay_latency_seconds`,
      help: 'Time from a publish arriving at the relay to its delivery decision.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#observeHttp = latency.series({ source: 'http' });
    this.#observeWebSocket = latency.series({ source: 'websocket' });
    if (source.engine.telemetry !== null) registerEngineMetrics(this.registry, source.engine.telemetry);
  }

  /** Record how long one publish took to be delivered, held or refused. */
  observeLatency(seconds: number, source: PublishSource): void {
    if (source === 'http') this.#observeHttp(seconds);
    else this.#observeWebSocket(seconds);
  }

  /** Count an answered HTTP publish request. */
  countPublish(endpoint: PublishEndpoint, status: number): void {
    const counts = this.#publishCounts[endpoint];
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }

  /** The Prometheus text exposition: this relay's metrics, then the process's. */
  async text(): Promise<string> {
    const [own, processText] = await Promise.all([this.registry.metrics(), processRegistry().metrics()]);
    return `${own}\n${processText}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const byRelay = new WeakMap<MetricsSource, RelayMetrics>();

/** The metrics of a relay, made on first use. */
export function metricsFor(relay: MetricsSource): RelayMetrics {
  let metrics = byRelay.get(relay);
  if (!metrics) {
    metrics = new RelayMetrics(relay);
    byRelay.set(relay, metrics);
  }
  return metrics;
}

/**
 * Record a relay latency (seconds from a publish arriving to its outcome).
 * @example
 * const started = process.hrtime.bigint();
 * const { outcome } = await relay.engine.broker.publish(target, payload);
 * observeRelayLatency(relay, Number(process.hrtime.bigint() - started) / 1e9);
 */
export function observeRelayLatency(relay: MetricsSource, seconds: number, source: PublishSource = 'websocket'): void {
  metricsFor(relay).observeLatency(seconds, source);
}

/** A counter whose value is read from a plain number when scraped. */
function readCounter(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name: `${PREFIX}${name}`,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A labelled counter whose values are read from plain counters when scraped. */
function readLabelledCounter(
  registers: Registry[],
  name: string,
  help: string,
  label: string,
  read: () => Iterable<[string, number]>,
): void {
  new Counter({
    name: `${PREFIX}${name}`,
    help,
    labelNames: [label],
    registers,
    collect() {
      this.reset();
      for (const [value, count] of read()) this.inc({ [label]: value }, count);
    },
  });
}
