import { Outcome } from '../../include/protocol.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { routingKey } from '../protocol/uuid-signer.js';
import { encodeTextFrame, type Connection } from '../transport/connection.js';
import { BroadcastBatcher } from './broadcast-batcher.js';
import type { Hub } from './hub.js';
import type { SessionStore } from './session-store.js';

export interface RouterOptions {
  /** A recipient with more than this queued is skipped (counted as slow_consumer). */
  maxBufferedBytes: number;
  /** Coalescing window for broadcasts under load; 0 writes every broadcast at once. */
  broadcastBatchMs: number;
}

/**
 * Delivery: finds the recipient of a feedback by Ident or uuid through the
 * hub's maps, writes the bytes as received, and says what became of them.
 */
export class Router {
  constructor(
    private readonly hub: Hub,
    private readonly sessions: SessionStore,
    private readonly stats: RelayStats,
    private readonly logger: Logger,
    private readonly options: RouterOptions,
  ) {
    this.#batcher = new BroadcastBatcher(options.broadcastBatchMs);
  }

  readonly #batcher: BroadcastBatcher;

  /** Flush held broadcasts and stop the batching timer. */
  stop(): void {
    this.#batcher.stop();
  }

  /**
   * Route a feedback: to the client with that Ident, else to the page with
   * that uuid — through its session (numbered, retained) when it has one.
   */
  deliverFeedback(packet: { [field: string]: unknown }, raw: Buffer | string): Outcome {
    const ident = packet.ident;
    const uuid = packet.uuid;
    let target: Connection | undefined;
    if (typeof ident === 'string' && ident !== '') {
      target = this.hub.byIdent(ident);
    } else if (typeof uuid === 'string' && uuid !== '') {
      const key = routingKey(uuid);
      const session = this.sessions.get(key);
      if (session) return this.sessions.deliver(session, raw, packet);
      target = this.hub.byKey(key);
    }
    if (!target || !target.open) {
      this.stats.outcomes.unknown++;
      return Outcome.Unknown;
    }
    if (!this.write(target, raw)) {
      this.stats.outcomes.dropped++;
      return Outcome.Dropped;
    }
    this.stats.outcomes.delivered++;
    return Outcome.Delivered;
  }

  /** Every browser but `from` gets the same pre-encoded frame. */
  broadcast(from: Connection | null, raw: Buffer | string): number {
    const frame = encodeTextFrame(raw);
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    const batch = this.#batcher.begin();
    let count = 0;
    for (const conn of this.hub.browsers()) {
      if (conn === from) continue;
      if (!this.#hasRoom(conn)) continue;
      if (batch) this.#batcher.cork(conn);
      if (conn.sendFrame(frame)) {
        count++;
        this.stats.messagesOut++;
        this.stats.bytesOut += size;
      }
    }
    this.#batcher.end();
    return count;
  }

  /** Write to one connection unless it is too far behind. */
  write(conn: Connection, raw: Buffer | string): boolean {
    if (!this.#hasRoom(conn)) return false;
    if (!conn.send(raw)) {
      this.stats.drops.closed++;
      return false;
    }
    this.stats.messagesOut++;
    this.stats.bytesOut += typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    return true;
  }

  #hasRoom(conn: Connection): boolean {
    if (conn.bufferedBytes <= this.options.maxBufferedBytes) {
      conn.stalledSince = 0;
      return true;
    }
    if (conn.stalledSince === 0) {
      conn.stalledSince = Date.now();
      this.logger.warn('recipient is not reading: dropping its messages', { client: conn.id, ip: conn.ip, buffered: conn.bufferedBytes });
    }
    this.stats.drops.slow_consumer++;
    return false;
  }
}
