import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineTelemetry } from '../engine/engine-telemetry.js';
import { PlainHistogram } from './plain-histogram.js';

/** Seconds: a Redis round trip on a LAN is ~0.1–1 ms; a cross-node answer waits at most answerTimeout (5 s). */
const ENGINE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const PREFIX = 'websock_engine_';

/**
 * The engine's metrics (only for an engine with a store: the memory engine
 * has no telemetry and gets none of these, and pays nothing). Counters are
 * read from the engine's plain numbers when scraped; the two histograms are
 * fed as commands and publishes complete, from the moment they are made.
 */
export function registerEngineMetrics(registry: Registry, telemetry: EngineTelemetry): void {
  const registers = [registry];
  const commands = new PlainHistogram({
    name: `${PREFIX}command_seconds`,
    help: 'Round trip of each Redis command of the engine, by operation (a script: publish_uuid, one call per batch of up to 128 uuid publishes; append, publish_ident, read_since, renew…; or a command: publish, set, pexpire…).',
    buckets: ENGINE_BUCKETS,
    registers,
  });
  const byOperation = new Map<string, (seconds: number) => void>();
  telemetry.onCommand = (operation, seconds) => {
    let observe = byOperation.get(operation);
    if (observe === undefined) {
      observe = commands.series({ operation });
      byOperation.set(operation, observe);
    }
    observe(seconds);
  };
  const publishes = new PlainHistogram({
    name: `${PREFIX}publish_seconds`,
    help: 'Time a publish through the engine took to get its outcome, the other node’s answer included.',
    buckets: ENGINE_BUCKETS,
    registers,
  });
  telemetry.onPublish = publishes.series({});

  labelled(
    registers,
    'errors_total',
    'Engine errors by kind: connection (a failed connect or a lost connection), command (a Redis command that failed), bad_message (an unreadable message from another node), delivery (delivering one threw).',
    'kind',
    () => Object.entries(telemetry.errors),
  );
  labelled(
    registers,
    'reconnects_total',
    'Connections to Redis re-established after they were lost, by connection (command, subscriber).',
    'connection',
    () => Object.entries(telemetry.reconnects),
  );
  plain(registers, 'ownership_renewals_total', 'Held uuids and Idents whose hold was renewed in Redis.', () => telemetry.renewals);
  labelled(
    registers,
    'ownership_lost_total',
    'Names this node held that, on renewal, were gone from Redis (held again) or taken by another node (left to it).',
    'reason',
    () => Object.entries(telemetry.ownershipLost),
  );
  labelled(
    registers,
    'trimmed_messages_total',
    'Retained messages dropped from page logs in Redis: by the count/size limits (limit) or by age (age).',
    'reason',
    () => Object.entries(telemetry.trimmed),
  );
  plain(
    registers,
    'answers_timed_out_total',
    'Publishes answered failed because the node holding the recipient did not answer within the answer timeout.',
    () => telemetry.answersTimedOut,
  );
  plain(
    registers,
    'probe_failures_total',
    'Pub/sub liveness probes that did not come back in time (the subscriber is then reconnected).',
    () => telemetry.probeFailures,
  );
  new Gauge({
    name: `${PREFIX}pending_answers`,
    help: 'Publishes waiting for the answer of the node holding their recipient.',
    registers,
    collect() {
      this.set(telemetry.pendingAnswers());
    },
  });
}

function plain(registers: Registry[], name: string, help: string, read: () => number): void {
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

function labelled(registers: Registry[], name: string, help: string, label: string, read: () => Iterable<[string, number]>): void {
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
