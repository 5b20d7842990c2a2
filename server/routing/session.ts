import { newEpoch } from '../engine/epoch.js';
import type { Connection } from '../transport/connection.js';
import { RetentionBuffer, type RetentionLimits, type RetentionMeter } from './retention-buffer.js';

/**
 * The resumable state of one v2 page on this node, which outlives its
 * connection: which connection it is attached to and how far that one has
 * been written. With the memory engine it is also the page's session log
 * (the sequence counter, the retained messages and the latest progress
 * message of each job); with a shared engine the log lives there, and
 * `lastSeq` is what this node has seen of it.
 */
export class Session {
  key: string;
  uuid: string;
  conn: Connection | null;
  /** When the connection went away (0 while attached). */
  detachedAt = 0;
  /** The numbering run `lastSeq` belongs to (see StreamPosition). */
  epoch: string;
  /** Newest sequence number issued. */
  lastSeq = 0;
  /** Newest sequence number written to the current connection. */
  sentSeq = 0;
  /** Writes are suspended while the connection drains (replayed from retention later). */
  behind = false;
  /** A catch-up from the log is under way (a shared engine's reads are asynchronous). */
  catchingUp = false;
  readonly retention: RetentionBuffer;
  readonly latestProgress = new Map<string, { seq: number; text: string }>();
  /** Bytes held in latestProgress, kept within the retention byte limit. */
  #progressBytes = 0;
  readonly #maxProgressBytes: number;
  /** The relay-wide count of retained bytes, which latestProgress is part of. */
  readonly #meter: RetentionMeter;
  /** The address group of the page's latest connection (detached sessions are capped per group). */
  group = '';

  constructor(
    key: string,
    uuid: string,
    conn: Connection | null,
    limits: RetentionLimits,
    epoch: string = newEpoch(),
    meter: RetentionMeter = { bytes: 0 },
  ) {
    this.key = key;
    this.epoch = epoch;
    this.uuid = uuid;
    this.conn = conn;
    this.#meter = meter;
    this.retention = new RetentionBuffer(limits, meter);
    this.#maxProgressBytes = limits.bytes;
  }

  /** Bytes held in latestProgress. */
  get progressBytes(): number {
    return this.#progressBytes;
  }

  /** Let go of everything kept for replay (the relay-wide budget took it). */
  forgetHistory(): void {
    this.retention.clear();
    this.#meter.bytes -= this.#progressBytes;
    this.#progressBytes = 0;
    this.latestProgress.clear();
  }

  /** Issue the next sequence number and keep the message for replay. */
  record(text: string, job: string | null, now: number): number {
    const seq = ++this.lastSeq;
    this.retention.append(seq, text, now);
    if (job !== null) {
      this.#forgetProgress(job);
      const bytes = Buffer.byteLength(text);
      // Bound the per-job map too, by count and by the retention byte limit:
      // a publisher could invent endless job ids or send huge progress messages.
      if (bytes <= this.#maxProgressBytes) {
        for (const oldest of this.latestProgress.keys()) {
          if (this.latestProgress.size < 100 && this.#progressBytes + bytes <= this.#maxProgressBytes) break;
          this.#forgetProgress(oldest);
        }
        this.latestProgress.set(job, { seq, text });
        this.#progressBytes += bytes;
        this.#meter.bytes += bytes;
      }
    }
    return seq;
  }

  #forgetProgress(job: string): void {
    const held = this.latestProgress.get(job);
    if (held === undefined) return;
    const bytes = Buffer.byteLength(held.text);
    this.#progressBytes -= bytes;
    this.#meter.bytes -= bytes;
    this.latestProgress.delete(job);
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
