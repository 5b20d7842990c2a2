import { CloseCode, ErrorCodes, Outcome } from '../../include/protocol.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { withSequence } from '../protocol/sequence.js';
import type { Connection } from '../transport/connection.js';
import type { RetentionLimits } from './retention-buffer.js';
import { Session } from './session.js';

export interface SessionStoreOptions extends RetentionLimits {
  /** Above this many queued bytes a page's messages wait in retention. */
  maxBufferedBytes: number;
}

export interface ResumeResult {
  session: Session;
  /** True when every missed message follows. */
  recovered: boolean;
  /** What to send now, in order: the missed messages, or the latest progress of each job. */
  replay: { seq: number; text: string }[];
}

/**
 * Sessions of v2 pages by routing key. Messages to a page are numbered and
 * retained here; a page that went away gets them on resume, and a page that
 * reads too slowly gets them when its socket has drained.
 */
export class SessionStore {
  readonly #byKey = new Map<string, Session>();
  readonly #behind = new Set<Session>();

  constructor(
    private readonly options: SessionStoreOptions,
    private readonly stats: RelayStats,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): Session | undefined {
    return this.#byKey.get(key);
  }

  /** A new session for a v2 page that just connected. */
  open(conn: Connection): Session {
    const session = new Session(conn.key, conn.uuid, conn, this.options);
    this.#byKey.set(conn.key, session);
    return session;
  }

  /** The page's connection closed: keep the session for the retention age. */
  detach(conn: Connection, now = Date.now()): void {
    const session = this.#byKey.get(conn.key);
    if (session?.conn !== conn) return;
    session.detach(now);
    this.#behind.delete(session);
  }

  /** Number, retain and (when the page is attached and keeping up) write a message. */
  deliver(session: Session, raw: Buffer | string, packet: { [field: string]: unknown }, now = Date.now()): Outcome {
    const seq = session.lastSeq + 1;
    const text = withSequence(raw, packet, seq);
    session.record(text, jobOf(packet), now);
    const conn = session.conn;
    if (conn === null || !conn.open) {
      this.stats.outcomes.held++;
      return Outcome.Held;
    }
    if (session.behind || conn.bufferedBytes > this.options.maxBufferedBytes) {
      this.#fallBehind(session, conn);
      this.stats.outcomes.held++;
      return Outcome.Held;
    }
    this.#write(session, conn, seq, text);
    this.stats.outcomes.delivered++;
    return Outcome.Delivered;
  }

  /**
   * Move `conn` onto the session `key` (its signed uuid verified by the
   * caller) and work out what it missed after `lastSeq`.
   */
  resume(conn: Connection, key: string, uuid: string, lastSeq: number, now = Date.now()): ResumeResult {
    // The fresh session made at connect time is not needed any more.
    const fresh = this.#byKey.get(conn.key);
    if (fresh?.conn === conn && fresh.key !== key) this.#drop(fresh);
    let session = this.#byKey.get(key);
    if (session?.conn && session.conn !== conn && session.conn.open) {
      // The same page on a newer socket (reload, half-open old socket): the newest wins.
      session.conn.close(CloseCode.PolicyViolation, 'session resumed by another connection');
    }
    if (!session) {
      session = new Session(key, uuid, conn, this.options);
      this.#byKey.set(key, session);
      this.stats.resumesFailed++;
      return { session, recovered: false, replay: [] };
    }
    session.retention.trim(now);
    session.attach(conn);
    const missed = session.retention.since(lastSeq, session.lastSeq);
    if (missed !== null) {
      this.stats.resumes++;
      this.stats.replayed += missed.length;
      session.sentSeq = session.lastSeq;
      return { session, recovered: true, replay: missed.map(({ seq, text }) => ({ seq, text })) };
    }
    this.stats.resumesFailed++;
    session.sentSeq = session.lastSeq;
    const progress = [...session.latestProgress.values()].filter((p) => p.seq > lastSeq || lastSeq > session.lastSeq);
    return { session, recovered: false, replay: progress.sort((a, b) => a.seq - b.seq) };
  }

  /** The connection took another uuid (the `uuid` opcode): its session follows. */
  rekey(conn: Connection, previousKey: string): void {
    const own = this.#byKey.get(previousKey);
    const session = own?.conn === conn ? own : undefined;
    const existing = this.#byKey.get(conn.key);
    if (existing !== undefined && existing !== session) {
      // The uuid had a session whose page is gone (adoptUuid refuses live holders).
      // A v2 page takes it over, numbering continues; a connection without a
      // session (v1, backend) gets the uuid's feedback live, so the session goes.
      if (session) {
        this.#drop(session);
        existing.attach(conn);
        existing.sentSeq = existing.lastSeq;
      } else {
        this.#drop(existing);
      }
      return;
    }
    if (session === undefined) return;
    this.#byKey.delete(previousKey);
    session.key = conn.key;
    session.uuid = conn.uuid;
    this.#byKey.set(conn.key, session);
  }

  /** Frequent duty (every 100 ms): let pages that drained their sockets catch up. */
  catchUpRound(): void {
    for (const session of this.#behind) this.#catchUp(session);
  }

  /**
   * Slower duty (every second): forget sessions detached for longer than
   * the retention age, and trim retention by age.
   */
  expireRound(now = Date.now()): void {
    for (const session of this.#byKey.values()) {
      if (session.conn === null && now - session.detachedAt > this.options.ageMs) {
        this.#drop(session);
        continue;
      }
      session.retention.trim(now);
    }
  }

  /** Totals for the metrics endpoint (computed when scraped, not per message). */
  retained(): { messages: number; bytes: number } {
    let messages = 0;
    let bytes = 0;
    for (const session of this.#byKey.values()) {
      messages += session.retention.size;
      bytes += session.retention.bytes;
    }
    return { messages, bytes };
  }

  #write(session: Session, conn: Connection, seq: number, text: string): void {
    conn.send(text);
    session.sentSeq = seq;
    this.stats.messagesOut++;
    this.stats.bytesOut += text.length;
  }

  #fallBehind(session: Session, conn: Connection): void {
    if (session.behind) return;
    session.behind = true;
    this.#behind.add(session);
    if (conn.stalledSince === 0) conn.stalledSince = Date.now();
    this.logger.info('page is reading slowly: holding its messages', { client: conn.id, buffered: conn.bufferedBytes });
  }

  #catchUp(session: Session): void {
    const conn = session.conn;
    if (conn === null || !conn.open) {
      this.#behind.delete(session);
      session.behind = false;
      return;
    }
    if (conn.bufferedBytes > this.options.maxBufferedBytes / 2) return;
    const missed = session.retention.since(session.sentSeq, session.lastSeq);
    if (missed === null) {
      // Retention moved past what the page has: it must resume and learn of the gap.
      this.#behind.delete(session);
      this.logger.warn('page fell behind retention: closing so it resumes', { client: conn.id });
      conn.close(CloseCode.TryAgainLater, ErrorCodes.OVERLOADED.text);
      return;
    }
    for (const item of missed) {
      if (conn.bufferedBytes > this.options.maxBufferedBytes) return;
      this.#write(session, conn, item.seq, item.text);
    }
    session.behind = false;
    conn.stalledSince = 0;
    this.#behind.delete(session);
  }

  #drop(session: Session): void {
    this.#byKey.delete(session.key);
    this.#behind.delete(session);
    session.retention.clear();
  }
}

function jobOf(packet: { [field: string]: unknown }): string | null {
  const progress = packet.progress;
  if (typeof progress !== 'object' || progress === null) return null;
  const job = (progress as { job?: unknown }).job;
  return typeof job === 'string' || typeof job === 'number' ? String(job) : '';
}
