import { WebSocket } from 'ws';
import type { CloseCode } from '../../include/protocol.js';
import type { InFlight } from '../limits/in-flight-budget.js';
import type { UnsettledPublishes } from '../limits/unsettled-publishes.js';
import { ChunkJoiner } from '../protocol/chunk-joiner.js';
import { closeReason } from '../protocol/close-reason.js';
import { encodeServerTextFrame, encodeServerTextFrameFromText, type EncodedFrame } from '../protocol/frame-encoder.js';
import type { TransportKind } from './accepted-websocket.js';
import type { ClientKind } from './admission.js';
import type { OutboundPort } from './outbound-port.js';

export { encodeTextFrame, type EncodedFrame } from '../protocol/frame-encoder.js';

export type { ClientKind } from './admission.js';

export interface ConnectionInit {
  id: number;
  ws: WebSocket;
  /** Where pre-encoded frames go, and how far the peer has read. */
  port: OutboundPort;
  /** What carried the handshake (for logs and metrics only). */
  transport: TransportKind;
  kind: ClientKind;
  protocol: 1 | 2;
  resource: string;
  ip: string;
  ident: string | null;
  origin: string | null;
  uuid: string;
  key: string;
  maxChunks: number;
  maxMessageBytes: number;
  /** Gap enforced between unsolicited frames; 0 sends at once. */
  frameGapMs: number;
}

type Pending = string | Buffer | EncodedFrame;

/** Held broadcast frames up to this many bytes are joined into one buffer for their write; above, written as a vector. */
const HELD_COPY_MAX_BYTES = 64 * 1024;

/** How long a closing client's socket lingers (for our last frames to reach it) before it is cut. */
export const CLOSE_LINGER_MS = 1_000;

/**
 * One client connection: its identity, its v1 chunk joiner and its outgoing
 * path. v1 backends decode only the first frame of every read, so frames to
 * them that nobody asked for are spaced `frameGapMs` apart.
 */
export class Connection {
  readonly id: number;
  readonly transport: TransportKind;
  readonly kind: ClientKind;
  readonly protocol: 1 | 2;
  readonly resource: string;
  readonly ip: string;
  readonly ident: string | null;
  readonly origin: string | null;
  readonly joiner: ChunkJoiner;
  readonly connectedAt = Date.now();
  /** The signed id the client was given. */
  uuid: string;
  /** Routing key: the bare uuid. */
  key: string;
  /** Cleared when a ping is sent, set again by the pong. */
  alive = true;
  /** Set once the connection is closing; nothing more is sent. */
  closing = false;
  /** The close code the relay sent, when it was the relay that closed. */
  closeCodeSent: CloseCode | null = null;
  /** Since when the outgoing buffer has been over its limit (0: it is not); for logging once. */
  stalledSince = 0;
  /** Stall detection: the port's bytesSent at the last check, and when that last grew. */
  lastBytesWritten = 0;
  lastProgressAt = Date.now();
  /** Its account in the relay's in-flight budget (unfinished messages), once it is open. */
  inFlight: InFlight | null = null;
  /**
   * A backend admitted by a job token (server/jobs/job-token.ts) rather than by allowedIP:
   * it may publish to this page's job only. Null for every other connection.
   */
  jobScope: { readonly uuid: string; readonly key: string; readonly job: string } | null = null;
  /** Its publishes awaiting a shared engine's answer, bounded; null on the memory engine, which answers at once. */
  unsettled: UnsettledPublishes | null = null;
  /** What an application's preConnect hook attached (the signed-in user...); typed by the app. */
  data: unknown = undefined;

  readonly #ws: WebSocket;
  readonly #port: OutboundPort;
  readonly #frameGapMs: number;
  #queue: Pending[] = [];
  #queuedBytes = 0;
  /** Broadcast frames held for one write together (hold/release); null when none. */
  #held: Buffer[] | null = null;
  #heldBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #lastSentAt = 0;
  /** Set by drainAndClose: close once the queue is empty. */
  #closeWhenDrained: { code: CloseCode; reason: string } | null = null;

  constructor(init: ConnectionInit) {
    this.id = init.id;
    this.#ws = init.ws;
    this.#port = init.port;
    this.transport = init.transport;
    this.kind = init.kind;
    this.protocol = init.protocol;
    this.resource = init.resource;
    this.ip = init.ip;
    this.ident = init.ident;
    this.origin = init.origin;
    this.uuid = init.uuid;
    this.key = init.key;
    this.joiner = new ChunkJoiner(init.maxChunks, init.maxMessageBytes);
    this.#frameGapMs = init.kind === 'backend' && init.protocol === 1 ? init.frameGapMs : 0;
  }

  get ws(): WebSocket {
    return this.#ws;
  }

  /** The carrier's byte side (reads are watched through it for the in-flight budget). */
  get port(): OutboundPort {
    return this.#port;
  }

  get open(): boolean {
    return !this.closing && this.#ws.readyState === WebSocket.OPEN;
  }

  /** Bytes that left our buffers so far (grows while the peer reads; see OutboundPort). */
  get bytesWritten(): number {
    return this.#port.bytesSent;
  }

  /** Bytes written but not yet on the wire, plus frames waiting for their gap. */
  get bufferedBytes(): number {
    return this.#ws.bufferedAmount + this.#queuedBytes + this.#heldBytes;
  }

  /** Hold the first frames (v1 backends read the 101 and `ready` apart). */
  holdFor(ms: number): void {
    if (ms <= 0) return;
    this.#lastSentAt = Date.now() + ms - this.#frameGapMs;
    this.#schedule(ms);
  }

  /** Send an unsolicited text message (spaced for v1 backends). */
  send(text: string | Buffer): boolean {
    return this.#enqueue(text);
  }

  /** Hold writes in the socket until uncork() (a batch of HTTP publishes); false when closed. */
  cork(): boolean {
    if (!this.open) return false;
    this.#port.cork();
    return true;
  }

  uncork(): void {
    this.#port.uncork();
  }

  /** Send a pre-encoded frame (broadcast). */
  sendFrame(frame: EncodedFrame): boolean {
    return this.#enqueue(frame);
  }

  /**
   * Hold a pre-encoded frame to be written with the others held, in one
   * write, by release() (broadcast batching). Anything else written to this
   * connection meanwhile goes after them, so order is kept. A v1 backend's
   * frames are spaced instead, never batched. False when closed.
   */
  hold(frame: EncodedFrame): boolean {
    if (!this.open) return false;
    if (this.#frameGapMs > 0) return this.#enqueue(frame);
    const held = (this.#held ??= []);
    for (const part of frame) {
      held.push(part);
      this.#heldBytes += part.length;
    }
    return true;
  }

  /** True while frames wait for release(). */
  get holdsFrames(): boolean {
    return this.#held !== null;
  }

  /** Write what hold() gathered (nothing once the client closed: it reads no more messages). */
  release(): void {
    if (this.#held === null) return;
    if (this.#ws.readyState !== WebSocket.OPEN) {
      this.#dropHeld();
      return;
    }
    this.#writeHeld();
  }

  /**
   * Send an answer the client is waiting for (`next`, an outcome): it goes
   * ahead of unsolicited frames, since the client reads it as the reply.
   */
  reply(message: string | EncodedFrame): boolean {
    if (!this.open) return false;
    if (this.#frameGapMs > 0 && this.#timer !== null && this.#queue.length > 0) {
      // Frames are waiting for their gap: the reply goes first, at the next gap.
      this.#queue.unshift(message);
      this.#queuedBytes += sizeOf(message);
      return true;
    }
    this.#write(message);
    return true;
  }

  ping(payload: string): void {
    if (this.open) this.#ws.ping(payload);
  }

  /**
   * Close with an RFC 6455 code; frames still queued are dropped. `lastWords`
   * (the v1 close packet) is written first, as the answer the client reads.
   */
  close(code: CloseCode, reason = '', lastWords?: string): void {
    if (this.closing) return;
    this.closing = true;
    // Broadcasts held before the close go first, as the socket would have sent them.
    if (this.#held !== null) this.#writeHeld();
    this.#clearQueue();
    this.#stopReading();
    if (lastWords !== undefined) this.#write(lastWords);
    const payload = closeReason(reason);
    if (this.#frameGapMs === 0) {
      this.#finish(code, payload);
      return;
    }
    // A v1 backend would lose a close frame that arrives with the previous
    // frame, and then never answer it: space it.
    const wait = Math.max(0, this.#lastSentAt + this.#frameGapMs - Date.now());
    this.#timer = setTimeout(() => this.#finish(code, payload), wait);
  }

  /**
   * Decided to close: nothing more the client sent is parsed or handled, not
   * even frames already read. ws's parser is detached from the socket and the
   * bytes are thrown away as they come, so the client's FIN is still seen and
   * the socket closes as soon as the client lets go (a paused socket would
   * hold it until the linger timer).
   */
  #stopReading(): void {
    this.#port.stopReading();
  }

  /**
   * Write the close frame and end our side: the client sees it and the FIN at
   * once (its answer is not read, so we do not wait for it); the socket is cut
   * after CLOSE_LINGER_MS if the client does not close either.
   */
  #finish(code: CloseCode, payload: Buffer): void {
    this.closeCodeSent = code;
    this.#ws.close(code, payload);
    this.#port.end();
    // On shutdown the relay cuts what is left when shutdownGrace ends instead.
    if (this.#closeWhenDrained === null) this.#timer = setTimeout(() => this.#ws.terminate(), CLOSE_LINGER_MS);
  }

  /**
   * Orderly shutdown: send what the gap holds back, still spaced (a v1
   * backend would lose frames that reach it together), then close.
   */
  drainAndClose(code: CloseCode, reason = ''): void {
    if (this.closing) return;
    this.#closeWhenDrained = { code, reason };
    if (this.#queue.length === 0) this.close(code, reason);
  }

  /** Drop the socket without a close handshake (dead or hostile peers). */
  terminate(): void {
    this.closing = true;
    this.#clearQueue();
    this.#ws.terminate();
  }

  /** Called by the owner when the socket has closed: releases the timer. */
  dispose(): void {
    this.closing = true;
    this.#clearQueue();
  }

  #enqueue(item: Pending): boolean {
    if (!this.open) return false;
    if (this.#frameGapMs === 0) {
      this.#write(item);
      return true;
    }
    this.#queue.push(item);
    this.#queuedBytes += sizeOf(item);
    if (this.#timer === null) this.#pump();
    return true;
  }

  #pump(): void {
    this.#timer = null;
    if (!this.open) return;
    const wait = this.#lastSentAt + this.#frameGapMs - Date.now();
    if (wait > 0) {
      this.#schedule(wait);
      return;
    }
    const item = this.#queue.shift();
    if (item !== undefined) {
      this.#queuedBytes -= sizeOf(item);
      this.#write(item);
    }
    if (this.#queue.length > 0) this.#schedule(this.#frameGapMs);
    else if (this.#closeWhenDrained) this.close(this.#closeWhenDrained.code, this.#closeWhenDrained.reason);
  }

  #schedule(ms: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#pump(), ms);
  }

  #write(item: Pending): void {
    if (this.#held !== null) this.#writeHeld();
    // Only the spacing of a v1 backend's frames reads it.
    if (this.#frameGapMs > 0) this.#lastSentAt = Date.now();
    // Frames go straight to the socket, encoded here: ws writes its own
    // frames (pings, close) synchronously too (no compression here), so order
    // is kept, and a text message costs one socket write instead of ws's
    // corked two (visible per message in the HTTP publish profile).
    if (typeof item === 'string') {
      this.#port.write(encodeServerTextFrameFromText(item));
      return;
    }
    if (Buffer.isBuffer(item)) item = encodeServerTextFrame(item);
    if (item.length === 1) {
      this.#port.write(item[0]!);
    } else {
      this.#port.cork();
      for (const part of item) this.#port.write(part);
      this.#port.uncork();
    }
  }

  /** One write for every held frame: a copy of small frames into one buffer is cheaper than a system call each. */
  #writeHeld(): void {
    const held = this.#held!;
    const bytes = this.#heldBytes;
    this.#dropHeld();
    if (held.length === 1) {
      this.#port.write(held[0]!);
    } else if (bytes <= HELD_COPY_MAX_BYTES) {
      this.#port.write(Buffer.concat(held, bytes));
    } else {
      // Large frames are not copied: the socket's writev gathers them.
      this.#port.cork();
      for (const part of held) this.#port.write(part);
      this.#port.uncork();
    }
  }

  #dropHeld(): void {
    this.#held = null;
    this.#heldBytes = 0;
  }

  #clearQueue(): void {
    this.#dropHeld();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue = [];
    this.#queuedBytes = 0;
  }
}

function sizeOf(item: Pending): number {
  if (typeof item === 'string') return item.length;
  if (Buffer.isBuffer(item)) return item.length;
  let total = 0;
  for (const part of item) total += part.length;
  return total;
}
