import type { Logger } from '../../logger/logger.js';
import type { PublicationHandler } from '../broker.js';
import type { Engine, EngineHealth } from '../engine.js';
import { MemoryBroker } from './memory-broker.js';
import { MemoryChannels } from './memory-channels.js';
import { MemoryJobDirectory } from './memory-job-directory.js';
import { MemoryPresence, type HolderSource } from './memory-presence.js';
import { MemorySessionLog, type SessionSource } from './memory-session-log.js';

export interface MemoryEngineParts {
  nodeId: string;
  sessions: SessionSource;
  hub: HolderSource;
  logger: Logger;
}

const OK: EngineHealth = Object.freeze({ engine: 'memory', state: 'ok' });

/** The default engine: one process, its own maps; nothing to connect, nothing shared. */
export class MemoryEngine implements Engine {
  readonly kind = 'memory';
  readonly nodeId: string;
  readonly broker: MemoryBroker;
  readonly log: MemorySessionLog;
  readonly presence: MemoryPresence;
  readonly channels: MemoryChannels;
  readonly jobs = new MemoryJobDirectory();
  /** Nothing is shared that could be slow or fail: no engine metrics, nothing counted on the hot path. */
  readonly telemetry = null;

  constructor(parts: MemoryEngineParts) {
    this.nodeId = parts.nodeId;
    this.log = new MemorySessionLog(parts.sessions);
    this.broker = new MemoryBroker(this.log, parts.logger);
    this.presence = new MemoryPresence(parts.hub, parts.nodeId);
    this.channels = new MemoryChannels(parts.logger);
  }

  attach(handler: PublicationHandler): void {
    this.broker.attach(handler);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Always ok; /health shows no engine section for it (nothing is shared that could fail). */
  health(): EngineHealth {
    return OK;
  }
}
