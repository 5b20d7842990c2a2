import type { EncodedFrame } from '../protocol/frame-encoder.js';
import type { Connection } from '../transport/connection.js';

/**
 * What a write is, as an interceptor sees it:
 * - `message`: a forwarded message to one connection (feedback by uuid or Ident, a resource's send);
 * - `sequenced`: a numbered message to a v2 page, live or caught up from its log;
 * - `replay`: a missed message written after a resume;
 * - `broadcast`: the same frame to many pages (one event per recipient);
 * - `control`: the relay's own packets (ready, next, outcome, error, resumed).
 */
export type SendKind = 'message' | 'sequenced' | 'replay' | 'broadcast' | 'control';

/** One write about to happen (preSend) or done (postSend). */
export interface SendEvent {
  readonly conn: Connection;
  readonly kind: SendKind;
  /** The text, or the pre-encoded frame of a broadcast. */
  readonly data: string | Buffer | EncodedFrame;
}

/**
 * A hook on the delivery chokepoint. Interceptors run in the order they were
 * added; `preSend` returning false stops the write (counted as a drop with
 * reason `intercepted`, and later interceptors are not asked); `postSend`
 * runs after a write the socket accepted. Both are synchronous: they sit on
 * the hot path. With no interceptor added the chokepoint does no extra work.
 */
export interface SendInterceptor {
  preSend?(event: SendEvent): boolean | void;
  postSend?(event: SendEvent): void;
}
