import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { encodeTextFrame, type EncodedFrame } from '../protocol/frame-encoder.js';
import type { Connection } from '../transport/connection.js';
import { BroadcastBatcher } from './broadcast-batcher.js';
import type { SendEvent, SendInterceptor, SendKind } from './send-interceptor.js';
import { keepSequence } from '../hooks/keep-sequence.js';
import type { SendHooks } from '../hooks/send-hooks.js';

/** One broadcast as its recipients' hooks see it: the text once, the frame they share unless a hook replaced it. */
interface HookedBroadcast {
  text: string;
  frame: EncodedFrame;
  size: number;
  batch: boolean;
}

export interface DeliveryOptions {
  /** A recipient with more than this queued is behind (see the backpressure rule). */
  maxBufferedBytes: number;
  /** How long broadcast frames are held to be written together, one write per page; 0 writes every broadcast at once. */
  broadcastBatchMs: number;
}

/**
 * The one place that writes to client sockets. Everything the relay sends
 * — forwarded messages, numbered page messages, replays, broadcasts and its
 * own control packets — passes here, so the counters, the backpressure rule
 * and the send interceptors (hooks) apply to every path alike.
 *
 * The backpressure rule: a connection with more than `maxBufferedBytes`
 * queued is behind. A forwarded message or broadcast to it is not written
 * (counted as `slow_consumer`); a v2 page's session holds its numbered
 * messages in the log instead and catches up when the socket drains
 * (`hasRoom`/`isBehind` say which). Control packets are always written: the
 * client is waiting for them and they are small.
 */
export class Delivery {
  readonly #stats: RelayStats;
  readonly #logger: Logger;
  readonly #maxBufferedBytes: number;
  readonly #batcher: BroadcastBatcher;
  #interceptors: SendInterceptor[] = [];
  #sendHooks: SendHooks | null = null;

  constructor(stats: RelayStats, logger: Logger, options: DeliveryOptions) {
    this.#stats = stats;
    this.#logger = logger;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#batcher = new BroadcastBatcher(options.broadcastBatchMs);
  }

  /**
   * Attach an interceptor (after those already attached); returns the function that detaches it.
   * @example
   * const detach = relay.delivery.intercept({ postSend: ({ conn, kind }) => audit(conn.id, kind) });
   */
  intercept(interceptor: SendInterceptor): () => void {
    this.#interceptors = [...this.#interceptors, interceptor];
    return () => {
      this.#interceptors = this.#interceptors.filter((one) => one !== interceptor);
    };
  }

  /**
   * Attach the applications' preSend/postSend hooks (docs/apps.md). They see
   * every message — forwarded, numbered, replayed, broadcast — but not the
   * relay's control packets. While none is registered (`active` false) a
   * write costs one test more than without.
   */
  useSendHooks(hooks: SendHooks): void {
    this.#sendHooks = hooks;
  }

  /** Flush held broadcasts and stop the batching timer. */
  stop(): void {
    this.#batcher.stop();
  }

  /** A forwarded message to one connection; false when it was not written (behind, closed, intercepted). */
  message(conn: Connection, raw: Buffer | string): boolean {
    if (!this.hasRoom(conn)) return false;
    const hooks = this.#sendHooks;
    if (hooks !== null && hooks.active) {
      // Unchanged, the original bytes go out, not a re-encoding of the hooks' string.
      const text = typeof raw === 'string' ? raw : raw.toString('utf8');
      return hooks.send(conn, text, this.#hookedMessage, raw);
    }
    return this.#message(conn, raw);
  }

  readonly #hookedMessage = (conn: Connection, final: string, unchanged: boolean, raw: Buffer | string): boolean =>
    this.#message(conn, unchanged ? raw : final);

  #message(conn: Connection, raw: Buffer | string): boolean {
    if (this.#interceptors.length !== 0 && !this.#pre(conn, 'message', raw)) return false;
    if (!conn.send(raw)) {
      this.#stats.drops.closed++;
      return false;
    }
    this.#stats.messagesOut++;
    this.#stats.bytesOut += typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    if (this.#interceptors.length !== 0) this.#post(conn, 'message', raw);
    return true;
  }

  /** A numbered message to a v2 page (the caller checked `isBehind`); false when not written. */
  sequenced(conn: Connection, text: string, kind: 'sequenced' | 'replay' = 'sequenced'): boolean {
    const hooks = this.#sendHooks;
    if (hooks !== null && hooks.active) {
      return hooks.send(conn, text, kind === 'sequenced' ? this.#hookedSequenced : this.#hookedReplay, text);
    }
    return this.#sequenced(conn, text, kind);
  }

  // The log keeps the original; a replacement is for this write and keeps the number.
  readonly #hookedSequenced = (conn: Connection, final: string, unchanged: boolean, original: string): boolean =>
    this.#sequenced(conn, unchanged ? original : keepSequence(original, final), 'sequenced');
  readonly #hookedReplay = (conn: Connection, final: string, unchanged: boolean, original: string): boolean =>
    this.#sequenced(conn, unchanged ? original : keepSequence(original, final), 'replay');

  #sequenced(conn: Connection, text: string, kind: 'sequenced' | 'replay'): boolean {
    if (this.#interceptors.length !== 0 && !this.#pre(conn, kind, text)) return false;
    if (!conn.send(text)) return false;
    if (kind === 'sequenced') {
      this.#stats.messagesOut++;
      this.#stats.bytesOut += text.length;
    }
    if (this.#interceptors.length !== 0) this.#post(conn, kind, text);
    return true;
  }

  /** The same pre-encoded frame to every connection of `to` but the one with id `fromId`; how many got it. */
  broadcast(to: Iterable<Connection>, fromId: number, raw: Buffer | string): number {
    return this.#broadcast(to, fromId, raw, this.#sendHooks !== null && this.#sendHooks.active ? this.#sendHooks : null);
  }

  /**
   * A packet of the protocol's own to many (Pusher's member_added and
   * member_removed), as `broadcast` writes it but unseen by preSend and
   * postSend, as `ready` is: a hook that drops or rewrites what it does not
   * know must not break the client's state.
   */
  broadcastPacket(to: Iterable<Connection>, fromId: number, raw: Buffer | string): number {
    return this.#broadcast(to, fromId, raw, null);
  }

  #broadcast(to: Iterable<Connection>, fromId: number, raw: Buffer | string, hooks: SendHooks | null): number {
    const frame = encodeTextFrame(raw);
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    const batch = this.#batcher.enabled;
    // Decoded once for every recipient's hooks; unchanged, a recipient gets the shared frame.
    let hooked: HookedBroadcast | null = null;
    let count = 0;
    for (const conn of to) {
      if (conn.id === fromId) continue;
      if (!this.hasRoom(conn)) continue;
      if (hooks === null) {
        if (this.#broadcastFrame(conn, frame, size, batch)) count++;
        continue;
      }
      hooked ??= { text: typeof raw === 'string' ? raw : raw.toString('utf8'), frame, size, batch };
      if (hooks.send(conn, hooked.text, this.#hookedBroadcast, hooked)) count++;
    }
    return count;
  }

  readonly #hookedBroadcast = (conn: Connection, final: string, unchanged: boolean, shared: HookedBroadcast): boolean =>
    unchanged
      ? this.#broadcastFrame(conn, shared.frame, shared.size, shared.batch)
      : this.#broadcastFrame(conn, encodeTextFrame(final), Buffer.byteLength(final), shared.batch);

  #broadcastFrame(conn: Connection, frame: EncodedFrame, size: number, batch: boolean): boolean {
    const hooked = this.#interceptors.length !== 0;
    if (hooked && !this.#pre(conn, 'broadcast', frame)) return false;
    if (!(batch ? this.#batcher.hold(conn, frame) : conn.sendFrame(frame))) return false;
    this.#stats.messagesOut++;
    this.#stats.bytesOut += size;
    if (hooked) this.#post(conn, 'broadcast', frame);
    return true;
  }

  /**
   * A packet the client waits for as the answer to what it sent (`next`,
   * `outcome`, `error`, `resumed`): it goes ahead of frames a v1 backend's
   * gap holds back.
   */
  reply(conn: Connection, packet: string | EncodedFrame): boolean {
    if (this.#interceptors.length !== 0 && !this.#pre(conn, 'control', packet)) return false;
    const written = conn.reply(packet);
    if (written && this.#interceptors.length !== 0) this.#post(conn, 'control', packet);
    return written;
  }

  /** An unsolicited packet of the relay's own (`ready`), spaced like any frame to a v1 backend. */
  control(conn: Connection, packet: string): boolean {
    if (this.#interceptors.length !== 0 && !this.#pre(conn, 'control', packet)) return false;
    const written = conn.send(packet);
    if (written && this.#interceptors.length !== 0) this.#post(conn, 'control', packet);
    return written;
  }

  /** The backpressure rule for forwarded messages: true when `conn` can take one (else it is counted and logged once). */
  hasRoom(conn: Connection): boolean {
    if (conn.bufferedBytes <= this.#maxBufferedBytes) {
      conn.stalledSince = 0;
      return true;
    }
    if (conn.stalledSince === 0) {
      conn.stalledSince = Date.now();
      this.#logger.warn('recipient is not reading: dropping its messages', { client: conn.id, ip: conn.ip, buffered: conn.bufferedBytes });
    }
    this.#stats.drops.slow_consumer++;
    return false;
  }

  /** The backpressure rule for a v2 page: over the limit its messages wait in the log. */
  isBehind(conn: Connection): boolean {
    return conn.bufferedBytes > this.#maxBufferedBytes;
  }

  /** A behind page may catch up once it is down to half the limit. */
  canCatchUp(conn: Connection): boolean {
    return conn.bufferedBytes <= this.#maxBufferedBytes / 2;
  }

  #pre(conn: Connection, kind: SendKind, data: SendEvent['data']): boolean {
    const event: SendEvent = { conn, kind, data };
    for (const interceptor of this.#interceptors) {
      let verdict: boolean | void;
      try {
        verdict = interceptor.preSend?.(event);
      } catch (error) {
        // A failing hook must not take delivery down with it: the write goes on.
        this.#logger.error('a preSend interceptor failed', { client: conn.id, reason: (error as Error).message });
        continue;
      }
      if (verdict === false) {
        this.#stats.drops.intercepted++;
        return false;
      }
    }
    return true;
  }

  #post(conn: Connection, kind: SendKind, data: SendEvent['data']): void {
    const event: SendEvent = { conn, kind, data };
    for (const interceptor of this.#interceptors) {
      try {
        interceptor.postSend?.(event);
      } catch (error) {
        this.#logger.error('a postSend interceptor failed', { client: conn.id, reason: (error as Error).message });
      }
    }
  }
}
