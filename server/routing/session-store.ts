import { CloseCode, ErrorCodes, Outcome } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import { newEpoch } from '../engine/epoch.js';
import type { LogEntry } from '../engine/publication.js';
import type { SessionLog } from '../engine/session-log.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Connection } from '../transport/connection.js';
import type { RetentionLimits } from './retention-buffer.js';
import { Session } from './session.js';

export type SessionStoreOptions = RetentionLimits;

export interface ResumeResult {
  session: Session;
  /** True when every missed message follows. */
  recovered: boolean;
  /** What to send now, in order: the missed messages, or the latest progress of each job. */
  replay: LogEntry[];
}

/** Where the page asks to resume from: its last seq, and that seq's epoch when the client knows it. */
export interface ResumeFrom {
  seq: number;
  epoch: string | null;
}

/**
 * The v2 pages of this node by routing key: which connection each is
 * attached to and how far it has been written. Messages come numbered from
 * the engine's session log; a page that reads too slowly, or resumes, gets
 * what it missed from the log (`readSince`). With the memory engine the
 * Sessions here are the log itself (see MemorySessionLog).
 */
export class SessionStore {
  readonly #byKey = new Map<string, Session>();
  readonly #behind = new Set<Session>();
  #log: SessionLog | null = null;

  constructor(
    private readonly options: SessionStoreOptions,
    private readonly stats: RelayStats,
    private readonly logger: Logger,
    private readonly delivery: Delivery,
  ) {}

  /** The engine's log, read on resume and catch-up (set once when the relay is wired). */
  useLog(log: SessionLog): void {
    this.#log = log;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): Session | undefined {
    return this.#byKey.get(key);
  }

  /** Sessions attached to a connection on this node (their logs are kept alive). */
  *attachedKeys(): IterableIterator<string> {
    for (const session of this.#byKey.values()) if (session.conn !== null) yield session.key;
  }

  /** Every session on this node. */
  all(): IterableIterator<Session> {
    return this.#byKey.values();
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

  /** Detach `session` from `conn` if it is still attached to it (closed during a resume). */
  detachSession(session: Session, conn: Connection, now = Date.now()): void {
    if (session.conn !== conn) return;
    session.detach(now);
    this.#behind.delete(session);
  }

  /**
   * A numbered message of the page's log, to be written now if the page is
   * attached and keeping up; else it waits in the log (`held`).
   */
  deliver(session: Session, entry: LogEntry): Outcome {
    if (entry.seq > session.lastSeq) session.lastSeq = entry.seq;
    const conn = session.conn;
    if (conn === null || !conn.open) {
      this.stats.outcomes.held++;
      return Outcome.Held;
    }
    if (entry.seq <= session.sentSeq) {
      // Already written (read from the log by a catch-up before it came live).
      this.stats.outcomes.delivered++;
      return Outcome.Delivered;
    }
    if (session.behind || entry.seq !== session.sentSeq + 1 || this.delivery.isBehind(conn)) {
      this.#fallBehind(session, conn);
      this.stats.outcomes.held++;
      return Outcome.Held;
    }
    this.#write(session, conn, entry);
    this.stats.outcomes.delivered++;
    return Outcome.Delivered;
  }

  /**
   * Move `conn` onto the session `key` (its signed uuid verified by the
   * caller) and work out what it missed after `from`.
   */
  async resume(conn: Connection, key: string, uuid: string, from: ResumeFrom, now = Date.now()): Promise<ResumeResult> {
    const log = this.#requireLog();
    // The fresh session made at connect time is not needed any more.
    const fresh = this.#byKey.get(conn.key);
    if (fresh?.conn === conn && fresh.key !== key) this.#drop(fresh);
    const known = this.#byKey.get(key);
    if (known?.conn && known.conn !== conn && known.conn.open) {
      // The same page on a newer socket (reload, half-open old socket): the newest wins.
      known.conn.close(CloseCode.PolicyViolation, 'session resumed by another connection');
    }
    await log.trim(key, now);
    const read = await log.readSince(key, from);
    let session = this.#byKey.get(key);
    if (read.position === null) {
      // No log (never, expired, or lost by the engine): a new one, numbered from 1 in a new epoch.
      if (session) this.#drop(session);
      session = new Session(key, uuid, conn, this.options, newEpoch());
      this.#byKey.set(key, session);
      await log.create(key, session.epoch);
      this.stats.resumesFailed++;
      return { session, recovered: false, replay: [] };
    }
    if (!session) {
      session = new Session(key, uuid, conn, this.options, read.position.epoch);
      this.#byKey.set(key, session);
    }
    session.epoch = read.position.epoch;
    if (read.position.seq > session.lastSeq) session.lastSeq = read.position.seq;
    session.attach(conn);
    this.#behind.delete(session);
    if (read.entries !== null) {
      this.stats.resumes++;
      this.stats.replayed += read.entries.length;
      session.sentSeq = read.entries.length > 0 ? read.entries[read.entries.length - 1]!.seq : from.seq;
      return { session, recovered: true, replay: read.entries };
    }
    this.stats.resumesFailed++;
    session.sentSeq = read.position.seq;
    const sameEpoch = from.epoch === null || from.epoch === read.position.epoch;
    const lastSeq = read.position.seq;
    const progress = (await log.latestProgress(key)).filter((p) => !sameEpoch || p.seq > from.seq || from.seq > lastSeq);
    return { session, recovered: false, replay: progress };
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
    for (const session of this.#behind) void this.catchUp(session);
  }

  /**
   * Write what the page has not been written yet, from the log, while its
   * socket has room; done when it is level with the log.
   */
  async catchUp(session: Session): Promise<void> {
    const conn = session.conn;
    if (conn === null || !conn.open) {
      this.#behind.delete(session);
      session.behind = false;
      return;
    }
    if (session.catchingUp || !this.delivery.canCatchUp(conn)) return;
    session.catchingUp = true;
    let read;
    try {
      read = await this.#requireLog().readSince(session.key, { seq: session.sentSeq, epoch: session.epoch });
    } catch (error) {
      this.logger.warn('catch-up could not read the session log; trying again', { client: conn.id, reason: (error as Error).message });
      this.#behind.add(session);
      session.behind = true;
      return;
    } finally {
      session.catchingUp = false;
    }
    if (session.conn !== conn || !conn.open) return;
    if (read.entries === null) {
      // Retention moved past what the page has: it must resume and learn of the gap.
      this.#behind.delete(session);
      this.logger.warn('page fell behind retention: closing so it resumes', { client: conn.id });
      conn.close(CloseCode.TryAgainLater, ErrorCodes.OVERLOADED.text);
      return;
    }
    for (const item of read.entries) {
      if (item.seq <= session.sentSeq) continue;
      if (this.delivery.isBehind(conn)) {
        this.#fallBehind(session, conn);
        return;
      }
      this.#write(session, conn, item);
    }
    session.behind = false;
    conn.stalledSince = 0;
    this.#behind.delete(session);
  }

  /**
   * Slower duty (every second): forget sessions detached for longer than
   * the retention age, and trim retention by age.
   */
  expireRound(now = Date.now()): void {
    const log = this.#log;
    for (const session of this.#byKey.values()) {
      if (session.conn === null && now - session.detachedAt > this.options.ageMs) {
        this.#drop(session);
        void log?.expire(session.key).catch(() => {});
        continue;
      }
      session.retention.trim(now);
    }
  }

  /** Totals for the metrics endpoint (computed when scraped, not per message): the messages this node retains. */
  retained(): { messages: number; bytes: number } {
    let messages = 0;
    let bytes = 0;
    for (const session of this.#byKey.values()) {
      messages += session.retention.size;
      bytes += session.retention.bytes;
    }
    return { messages, bytes };
  }

  #write(session: Session, conn: Connection, entry: LogEntry): void {
    this.delivery.sequenced(conn, entry.text);
    session.sentSeq = entry.seq;
  }

  #fallBehind(session: Session, conn: Connection): void {
    if (session.behind) return;
    session.behind = true;
    this.#behind.add(session);
    if (conn.stalledSince === 0) conn.stalledSince = Date.now();
    this.logger.info('page is reading slowly: holding its messages', { client: conn.id, buffered: conn.bufferedBytes });
  }

  #drop(session: Session): void {
    this.#byKey.delete(session.key);
    this.#behind.delete(session);
    session.retention.clear();
  }

  #requireLog(): SessionLog {
    if (this.#log === null) throw new Error('SessionStore: useLog() was not called');
    return this.#log;
  }
}
