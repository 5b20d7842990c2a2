import type { Outcome } from '../../include/protocol.js';

/** Why a message was not written to a recipient. */
export type DropReason = 'slow_consumer' | 'closed' | 'intercepted';

/** Why a page's retained history was let go before its age: the relay-wide budget, the per-client cap, or (attached pages) the budget still. */
export type SessionEviction = 'budget' | 'per_ip' | 'history';

/**
 * Plain counters the hot path bumps (a property increment, nothing more);
 * the metrics endpoint reads them when scraped.
 */
export class RelayStats {
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  readonly outcomes: Record<Outcome, number> = { delivered: 0, held: 0, unknown: 0, dropped: 0, failed: 0 };
  readonly drops: Record<DropReason, number> = { slow_consumer: 0, closed: 0, intercepted: 0 };
  /** Rejected handshakes by reason prefix. */
  readonly rejections = new Map<string, number>();
  /** Connections closed for protocol errors, by error code. */
  readonly protocolErrors = new Map<string, number>();
  evictions = 0;
  /** Messages the publish policy refused (a page addressing what it may not). */
  publishRefused = 0;
  /** Times a connection's reading was paused for going over maxMessageRate. */
  throttled = 0;
  resumes = 0;
  resumesFailed = 0;
  replayed = 0;
  /** Sessions (or their history) dropped by a memory bound, by which one. */
  readonly sessionEvictions: Record<SessionEviction, number> = { budget: 0, per_ip: 0, history: 0 };
  /** Connections whose reading was paused because the replies to them were not read (maxBuffered). */
  readsPaused = 0;
  /** Connections closed because their unfinished messages would have gone over inFlightTotal or lasted past messageTimeout. */
  readonly inFlightRefusals: Record<'budget' | 'timeout', number> = { budget: 0, timeout: 0 };

  countSessionEviction(why: SessionEviction): void {
    this.sessionEvictions[why]++;
  }

  countRejection(kind: string): void {
    this.rejections.set(kind, (this.rejections.get(kind) ?? 0) + 1);
  }

  countProtocolError(code: string): void {
    this.protocolErrors.set(code, (this.protocolErrors.get(code) ?? 0) + 1);
  }
}
