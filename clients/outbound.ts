import type { Outcome } from '../include/protocol.js';
import type { ClientError } from './client-error.js';
import type { Fifo } from './fifo.js';
import type { ReceivedPacket } from './packets.js';

/** What a send resolves with: the relay's outcome on v2, 'sent' once acknowledged on v1. */
export type SendResult = Outcome | 'sent';

/** One message waiting to go, or in flight. */
export interface OutboundRequest {
  /** The encoded packet, without an id. */
  text: string;
  /** v2: number it and wait for its outcome (otherwise it is done once written). */
  expectsOutcome: boolean;
  resolve(result: SendResult): void;
  reject(error: ClientError): void;
}

/** Where a strategy writes frames: the open socket. */
export interface FrameWriter {
  send(text: string, done?: (error?: Error) => void): void;
}

/** Settings a strategy needs from the client. */
export interface OutboundSettings {
  /** Split messages into bufferON/chunks/bufferOFF of this many bytes; null sends one frame. */
  chunkBytes: number | null;
  /** v2: most requests awaiting their outcome at once; more wait in the queue. */
  maxInFlight: number;
  /** How long the relay may take to acknowledge (next or outcome). */
  ackTimeoutMs: number;
  /** Called when an acknowledgement is overdue; the connection can no longer be trusted. */
  onTimeout(error: ClientError): void;
}

/**
 * How requests leave over one connection: v1 stop-and-wait or v2 pipelined.
 * Both take requests from the client's shared queue, so requests not yet
 * written survive a reconnect.
 */
export interface Outbound {
  /** Write what may be written now. */
  pump(): void;
  /** Offer a packet from the relay; true when it was an acknowledgement this strategy consumed. */
  handle(packet: ReceivedPacket): boolean;
  /** The connection is gone: reject every request in flight with `error`. */
  fail(error: ClientError): void;
  /** Nothing written is waiting for an acknowledgement. */
  readonly idle: boolean;
}

/** The queue the client fills and the strategies take from. */
export type RequestQueue = Fifo<OutboundRequest>;
