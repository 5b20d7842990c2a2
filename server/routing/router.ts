import { Outcome } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import type { PublicationHandler } from '../engine/broker.js';
import type { JobTracker } from '../jobs/job-tracker.js';
import {
  progressJob,
  RESULT,
  type LogEntry,
  type Origin,
  type Payload,
  type PublishResult,
  type PublishTarget,
} from '../engine/publication.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Connection } from '../transport/connection.js';
import type { Hub } from './hub.js';
import type { SessionStore } from './session-store.js';

/**
 * This node's side of routing: the engine hands it the publications for
 * the connections of this node; it finds the recipient in the hub (by Ident
 * or routing key) or the page's session, and writes through the Delivery.
 */
export class Router implements PublicationHandler {
  constructor(
    private readonly hub: Hub,
    private readonly sessions: SessionStore,
    private readonly delivery: Delivery,
    private readonly stats: RelayStats,
    private readonly nodeId: string,
    /** Told of progress that passes for a page whose job it suspects lost (after a restart); null: no jobs. */
    private readonly jobs: JobTracker | null = null,
  ) {}

  deliver(target: Exclude<PublishTarget, { kind: 'broadcast' }>, payload: Payload, entry: LogEntry | null): PublishResult {
    let conn: Connection | undefined;
    if (target.kind === 'ident') {
      conn = this.hub.byIdent(target.ident);
    } else {
      if (entry !== null) {
        // Only while a resumed page's job awaits a report (rare): a size check otherwise.
        if (this.jobs !== null && this.jobs.hasSuspects()) {
          const job = progressJob(payload.packet);
          if (job) this.jobs.seen(target.key, job);
        }
        const session = this.sessions.get(target.key);
        if (session) return RESULT[this.sessions.deliver(session, entry)];
        // In the log, but the page is not attached here (yet): its resume replays it.
        this.stats.outcomes.held++;
        return RESULT.held;
      }
      conn = this.hub.byKey(target.key);
    }
    if (!conn || !conn.open) {
      this.stats.outcomes.unknown++;
      return RESULT.unknown;
    }
    if (!this.delivery.message(conn, payload.raw)) {
      this.stats.outcomes.dropped++;
      return RESULT.dropped;
    }
    this.stats.outcomes.delivered++;
    return RESULT[Outcome.Delivered];
  }

  /** Write one message to a connection of this node, through the Delivery; false when it was not written. */
  write(conn: Connection, raw: Buffer | string): boolean {
    return this.delivery.message(conn, raw);
  }

  broadcast(payload: Payload, except: Origin | null): number {
    const from = except !== null && except.node === this.nodeId ? except.conn : -1;
    return this.delivery.broadcast(this.hub.browsers(), from, payload.raw);
  }
}
