import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RelayConfig } from '../config/relay-config.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Engine } from './engine.js';
import { MemoryEngine } from './memory/memory-engine.js';
import type { HolderSource } from './memory/memory-presence.js';
import type { SessionSource } from './memory/memory-session-log.js';
import { RedisEngine, type AttachedPage, type RedisEngineOptions } from './redis/redis-engine.js';

/** The Redis engine's timings (tests shorten them; production uses the defaults). */
export type EngineTiming = Pick<RedisEngineOptions, 'heartbeatMs' | 'holdTtlMs' | 'answerTimeoutMs' | 'probeMs'>;

/** What an engine is built over: this node's maps and counters. */
export interface EngineParts {
  sessions: SessionSource & { all(): Iterable<AttachedPage> };
  hub: HolderSource;
  logger: Logger;
  stats: RelayStats;
}

/** A node id unique among the nodes sharing an engine, readable in logs. */
export function newNodeId(): string {
  return `${hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The engine the configuration asks for: the memory engine unless a broker URL is set. */
export function createEngine(config: RelayConfig, parts: EngineParts, timing: EngineTiming = {}): Engine {
  const nodeId = newNodeId();
  if (config.broker === null) return new MemoryEngine({ nodeId, sessions: parts.sessions, hub: parts.hub, logger: parts.logger });
  // Nodes verify each other's uuids: a random secret per process would make every resume elsewhere fail.
  if (config.secret === null) throw new Error('a Redis broker needs a configured secret, the same on every node');
  return new RedisEngine({
    url: config.broker,
    prefix: config.brokerPrefix,
    nodeId,
    limits: { count: config.retentionCount, bytes: config.retentionBytes, ageMs: config.retentionAgeMs },
    pages: () => parts.sessions.all(),
    stats: parts.stats,
    logger: parts.logger,
    ...timing,
  });
}
