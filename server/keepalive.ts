import { CloseCode, ErrorCodes, PING_PAYLOAD } from '../include/protocol.js';
import type { Logger } from './logger/logger.js';
import type { RelayStats } from './metrics/relay-stats.js';
import type { Hub } from './routing/hub.js';

export interface KeepaliveOptions {
  /** 0 disables pings. */
  pingIntervalMs: number;
  stallTimeoutMs: number;
}

/**
 * Two periodic duties: ping browsers and evict those that did not answer the
 * previous ping (as the original does), and close connections that have not
 * drained their outgoing buffer for `stallTimeoutMs` (1013: come back later).
 */
export class Keepalive {
  #pingTimer: NodeJS.Timeout | null = null;
  #stallTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly hub: Hub,
    private readonly stats: RelayStats,
    private readonly logger: Logger,
    private readonly options: KeepaliveOptions,
  ) {}

  start(): void {
    if (this.options.pingIntervalMs > 0) {
      this.#pingTimer = setInterval(() => this.pingRound(), this.options.pingIntervalMs);
    }
    const sweepEvery = Math.max(100, Math.min(1_000, this.options.stallTimeoutMs / 2));
    this.#stallTimer = setInterval(() => this.stallRound(), sweepEvery);
  }

  stop(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    if (this.#stallTimer) clearInterval(this.#stallTimer);
    this.#pingTimer = this.#stallTimer = null;
  }

  pingRound(): void {
    for (const conn of this.hub.browsers()) {
      if (!conn.alive) {
        this.stats.evictions++;
        this.logger.info('evicting a browser that missed a pong', { client: conn.id, ip: conn.ip });
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.ping(PING_PAYLOAD);
    }
  }

  /**
   * A connection is stalled when it has bytes waiting and its socket has
   * not moved a byte for `stallTimeoutMs`: the peer stopped reading (or
   * died without a FIN). It is closed with 1013 and then cut.
   */
  stallRound(now = Date.now()): void {
    for (const conn of this.hub.all()) {
      const written = conn.bytesWritten;
      if (conn.bufferedBytes === 0 || written !== conn.lastBytesWritten) {
        conn.lastBytesWritten = written;
        conn.lastProgressAt = now;
        if (conn.bufferedBytes === 0) conn.stalledSince = 0;
        continue;
      }
      if (conn.closing || now - conn.lastProgressAt < this.options.stallTimeoutMs) continue;
      this.logger.warn('closing a connection that stays stalled', { client: conn.id, ip: conn.ip, buffered: conn.bufferedBytes });
      conn.close(CloseCode.TryAgainLater, ErrorCodes.OVERLOADED.text);
      // A peer that does not read will not read our close frame either.
      const stuck = conn;
      setTimeout(() => stuck.terminate(), 1_000).unref();
    }
  }
}
