import type { Connection } from '../transport/connection.js';
import { RetentionBuffer, type RetentionLimits } from './retention-buffer.js';

/**
 * The resumable state of one v2 page, which outlives its connection: the
 * sequence counter, the retained messages, and the latest progress message
 * of each job (what a page needs when the gap cannot be filled).
 */
export class Session {
  key: string;
  uuid: string;
  conn: Connection | null;
  /** When the connection went away (0 while attached). */
  detachedAt = 0;
  /** Newest sequence number issued. */
  lastSeq = 0;
  /** Newest sequence number written to the current connection. */
  sentSeq = 0;
  /** Writes are suspended while the connection drains (replayed from retention later). */
  behind = false;
  readonly retention: RetentionBuffer;
  readonly latestProgress = new Map<string, { seq: number; text: string }>();

  constructor(key: string, uuid: string, conn: Connection | null, limits: RetentionLimits) {
    this.key = key;
    this.uuid = uuid;
    this.conn = conn;
    this.retention = new RetentionBuffer(limits);
  }

  /** Issue the next sequence number and keep the message for replay. */
  record(text: string, job: string | null, now: number): number {
    const seq = ++this.lastSeq;
    this.retention.append(seq, text, now);
    if (job !== null) {
      // Bound the per-job map too: a publisher could invent endless job ids.
      if (!this.latestProgress.has(job) && this.latestProgress.size >= 100) {
        const oldest = this.latestProgress.keys().next().value as string;
        this.latestProgress.delete(oldest);
      }
      this.latestProgress.delete(job);
      this.latestProgress.set(job, { seq, text });
    }
    return seq;
  }

  attach(conn: Connection): void {
    this.conn = conn;
    this.detachedAt = 0;
    this.behind = false;
  }

  detach(now: number): void {
    this.conn = null;
    this.detachedAt = now;
    this.behind = false;
  }
}
