/** Why an engine error happened (the `kind` label of websock_engine_errors_total). */
export type EngineErrorKind = 'connection' | 'command' | 'bad_message' | 'delivery';

/** Which of an engine's connections (the `connection` label of websock_engine_reconnects_total). */
export type EngineConnection = 'command' | 'subscriber';

/** Why a name this node held was not its own any more when it renewed it. */
export type OwnershipLoss = 'gone' | 'taken';

/** Why retained messages were dropped from a page's log: its count/size limits, or their age. */
export type TrimReason = 'limit' | 'age';

/**
 * What an engine that talks to a shared store counts about itself, read by
 * the metrics when scraped (server/metrics/engine-metrics.ts). Everything
 * is a plain number bumped where it happens; the only thing fed as it
 * happens is the command round trip, and only once the metrics set
 * `onCommand`. The memory engine has none of this (its `telemetry` is
 * null), so it pays nothing.
 */
export class EngineTelemetry {
  readonly errors: Record<EngineErrorKind, number> = { connection: 0, command: 0, bad_message: 0, delivery: 0 };
  /** Connections re-established after they were lost (not the first connect). */
  readonly reconnects: Record<EngineConnection, number> = { command: 0, subscriber: 0 };
  /** Names whose hold was renewed (the periodic refresh and the re-announce after a reconnect). */
  renewals = 0;
  /** Names found, on renewal, gone from the store (expired, or the store restarted empty) or taken by another node. */
  readonly ownershipLost: Record<OwnershipLoss, number> = { gone: 0, taken: 0 };
  /** Retained messages dropped from page logs. */
  readonly trimmed: Record<TrimReason, number> = { limit: 0, age: 0 };
  /** Publishes answered `failed` because the node holding the recipient did not answer in time. */
  answersTimedOut = 0;
  /** Pub/sub liveness probes that did not come back in time. */
  probeFailures = 0;
  /** Publishes waiting for another node's answer right now. */
  pendingAnswers: () => number = () => 0;
  /** Set by the metrics: receives each store command's round trip, by operation, in seconds. */
  onCommand: ((operation: string, seconds: number) => void) | null = null;
  /** Set by the metrics: receives how long each publish through the engine took to be answered, in seconds. */
  onPublish: ((seconds: number) => void) | null = null;
}
