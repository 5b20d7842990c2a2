import type { Logger } from '../../logger/logger.js';
import type { Broker, PublicationHandler } from '../broker.js';
import { SETTLED, type Payload, type PublishResult, type PublishTarget } from '../publication.js';
import type { MemorySessionLog } from './memory-session-log.js';

/**
 * The memory engine's broker: every recipient is on this node, so a
 * publication goes straight to this node's handler, in the same call (the
 * same path a Redis subscription feeds). A page's message is numbered in its
 * log first, as the Redis engine appends before it publishes.
 */
export class MemoryBroker implements Broker {
  readonly #log: MemorySessionLog;
  readonly #logger: Logger;
  #handler: PublicationHandler | null = null;

  constructor(log: MemorySessionLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  attach(handler: PublicationHandler): void {
    this.#handler = handler;
  }

  publish(target: PublishTarget, payload: Payload): Promise<PublishResult> {
    const handler = this.#handler;
    if (handler === null) return SETTLED.failed;
    try {
      if (target.kind === 'broadcast') return Promise.resolve({ outcome: 'delivered', count: handler.broadcast(payload, target.except) });
      const entry = target.kind === 'uuid' ? this.#log.appendNow(target.key, payload) : null;
      return SETTLED[handler.deliver(target, payload, entry).outcome];
    } catch (error) {
      // A bug below must not leave the publisher without an answer.
      this.#logger.error('delivery failed', { reason: (error as Error).message });
      return SETTLED.failed;
    }
  }
}
