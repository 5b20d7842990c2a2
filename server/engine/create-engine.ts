import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RelayConfig } from '../config/relay-config.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Engine } from './engine.js';
import { MemoryEngine } from './memory/memory-engine.js';
import type { HolderSource } from './memory/memory-presence.js';
import type { SessionSource } from './memory/memory-session-log.js';

/** What an engine is built over: this node's maps and counters. */
export interface EngineParts {
  sessions: SessionSource;
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
export function createEngine(_config: RelayConfig, parts: EngineParts): Engine {
  return new MemoryEngine({ nodeId: newNodeId(), sessions: parts.sessions, hub: parts.hub, logger: parts.logger });
}
