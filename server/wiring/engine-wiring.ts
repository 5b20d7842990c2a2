import type { RelayConfig } from '../config/relay-config.js';
import { Delivery } from '../delivery/delivery.js';
import { createEngine, type EngineTiming } from '../engine/create-engine.js';
import type { Engine } from '../engine/engine.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import { SendHooks } from '../hooks/send-hooks.js';
import { heapShare } from '../limits/heap-share.js';
import type { JobTracker } from '../jobs/index.js';
import type { InFlightBudget } from '../limits/in-flight-budget.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Hub } from '../routing/hub.js';
import { Router } from '../routing/router.js';
import { SessionStore } from '../routing/session-store.js';

/** What a node needs to move a publication from a publisher to a socket, on one node or many. */
export interface EngineParts {
  /** The one writer to client sockets. */
  delivery: Delivery;
  sessions: SessionStore;
  /** Memory (one process) or Redis (several nodes as one relay). */
  engine: Engine;
  /** This node's handler of publications addressed to its connections. */
  router: Router;
}

/**
 * Build the delivery chokepoint, the page sessions, the engine and this
 * node's router, and join them: the sessions keep their logs in the engine,
 * the engine hands this node's publications to the router, the router
 * writes through delivery. Nothing here starts a timer or a connection.
 */
export function wireEngine(
  config: RelayConfig,
  hub: Hub,
  hooks: HookRegistry,
  stats: RelayStats,
  logger: Logger,
  jobs: JobTracker,
  engineTiming: EngineTiming = {},
): EngineParts {
  const delivery = new Delivery(stats, logger, {
    maxBufferedBytes: config.maxBufferedBytes,
    broadcastBatchMs: config.broadcastBatchMs,
  });
  delivery.useSendHooks(
    new SendHooks(hooks, {
      maxQueuedBytes: config.maxBufferedBytes,
      onDrop: (_conn, why) => (why === 'vetoed' ? stats.drops.intercepted++ : stats.drops.slow_consumer++),
    }),
  );
  const limits = {
    count: config.retentionCount,
    bytes: config.retentionBytes,
    ageMs: config.retentionAgeMs,
    totalBytes: heapShare(config.retentionTotalBytes, 4),
    detachedPerGroup: config.maxSessionsPerIP,
    groupOf: (ip: string) => hub.groupOf(ip),
  };
  const sessions = new SessionStore(limits, stats, logger, delivery);
  const engine = createEngine(config, { sessions, hub, logger, stats }, engineTiming);
  sessions.useLog(engine.log);
  const router = new Router(hub, sessions, delivery, stats, engine.nodeId, jobs);
  engine.attach(router);
  return { delivery, sessions, engine, router };
}

/**
 * The periodic work of page sessions: catch-up of slow pages and reading
 * again connections whose replies drained every 100 ms, expiry of sessions
 * and of unfinished messages every second, and keeping attached pages'
 * shared logs alive well inside their retention age. Returns the function
 * that stops it.
 */
export function startSessionSweep(
  config: RelayConfig,
  { sessions, engine }: EngineParts,
  inFlight: InFlightBudget,
  jobs: JobTracker,
  readDrained: () => void,
): () => void {
  let ticks = 0;
  const keepAliveEvery = Math.max(10, Math.floor(config.retentionAgeMs / 300));
  const timer = setInterval(function sessionSweep() {
    sessions.catchUpRound();
    readDrained();
    if (++ticks % 10 === 0) {
      sessions.expireRound();
      inFlight.tick(Date.now());
      jobs.sweep();
    }
    if (ticks % keepAliveEvery === 0) void engine.log.keepAlive(sessions.attachedKeys()).catch(() => {});
  }, 100);
  return () => clearInterval(timer);
}
