import type { LogEntry, Origin, Payload, PublishResult, PublishTarget } from './publication.js';

/**
 * Carries a publication to the node that holds its recipient and tells the
 * publisher what became of it. The memory engine hands it to this node's
 * handler at once; the Redis engine to the holder's handler on whichever
 * node that is. Either way the message reaches the socket through the same
 * `PublicationHandler`, so there is one delivery path with or without Redis.
 *
 * What an implementer guarantees:
 * - `publish` never rejects and never leaves its promise pending for good:
 *   when the engine cannot tell (Redis unreachable, no answer in time) it
 *   resolves `failed`. It never reports a success it did not see.
 * - `delivered`: the holder's handler wrote it to the recipient's socket.
 *   `held`: it is in the page's session log and will be replayed on resume.
 *   `unknown`: no live node holds the target. `dropped`: the holder refused
 *   it (a v1 recipient too far behind). The meanings are the same on every node.
 * - A page's log entry is appended before the holder sees the message, and
 *   append and hand-over are one step: a message in the log is either
 *   handed to the holder or found by the holder's next read of the log.
 * - Publications from one caller to one target reach the holder's handler in
 *   the order `publish` was called.
 */
export interface Broker {
  publish(target: PublishTarget, payload: Payload): Promise<PublishResult>;
}

/**
 * What each node runs for the publications addressed to its own
 * connections (implemented by the router over the hub and the Delivery).
 * Synchronous: the decision is made where the socket is.
 */
export interface PublicationHandler {
  /**
   * Deliver to the connection or page on this node named by `target`.
   * `entry` is set when the engine appended the message to the page's
   * session log (the target is a v2 page session); the text to write is then
   * `entry.text`. Answers `unknown` when this node does not hold the target.
   */
  deliver(target: Exclude<PublishTarget, { kind: 'broadcast' }>, payload: Payload, entry: LogEntry | null): PublishResult;
  /** Write a broadcast to this node's browsers but `except`; how many got it. */
  broadcast(payload: Payload, except: Origin | null): number;
}
