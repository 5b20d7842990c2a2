import type { Broker, PublicationHandler } from './broker.js';
import type { Channels } from './channels.js';
import type { JobDirectory } from './job-directory.js';
import type { EngineTelemetry } from './engine-telemetry.js';
import type { Presence } from './presence.js';
import type { SessionLog } from './session-log.js';

/** How an engine is doing, for `/health` and the logs. */
export interface EngineHealth {
  engine: 'memory' | 'redis';
  /** ok: working; degraded: working but a check failed (pub/sub probe); down: publishes fail. */
  state: 'ok' | 'degraded' | 'down';
  /** Why it is not ok, in words. */
  detail?: string;
}

/**
 * The three parts of the seam, as one engine: publication routing (Broker),
 * page history (SessionLog) and who-holds-what (Presence). The memory engine
 * is one process's maps; the Redis engine shares them between nodes.
 *
 * What an implementer guarantees, besides each part's own contract:
 * - `attach` is called once, before `start`; the handler receives every
 *   publication addressed to this node from then until `stop`.
 * - `start` resolves once publications can flow (or rejects with one clear
 *   reason); `stop` releases every timer and connection the engine owns.
 */
export interface Engine {
  readonly kind: 'memory' | 'redis';
  /** This node's id, unique among the nodes sharing the engine. */
  readonly nodeId: string;
  readonly broker: Broker;
  readonly log: SessionLog;
  readonly presence: Presence;
  /** Pusher-style channels: subscriptions, presence members, cluster-wide counts (channels.ts). */
  readonly channels: Channels;
  /** Which node runs which page's job: signals and job states across nodes (job-directory.ts). */
  readonly jobs: JobDirectory;
  attach(handler: PublicationHandler): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): EngineHealth;
  /** What the engine counts about its store (latency, errors, reconnects…) for /metrics; null when it has no store. */
  readonly telemetry: EngineTelemetry | null;
}
