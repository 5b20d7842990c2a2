import { CloseCode, ErrorCodes, Outcome } from '../../include/protocol.js';
import type { Delivery } from '../delivery/delivery.js';
import { newEpoch } from '../engine/epoch.js';
import type { LogEntry } from '../engine/publication.js';
import type { SessionLog } from '../engine/session-log.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import type { Connection } from '../transport/connection.js';
import type { RetentionLimits, RetentionMeter } from './retention-buffer.js';
import { Session } from './session.js';

export interface SessionStoreOptions extends RetentionLimits {
  /** Bytes every session of this node may retain together (messages and latest progress); 0 = no limit. */
  totalBytes?: number;
  /** Detached sessions one address group may keep waiting for a resume; 0 = no limit. */
  detachedPerGroup?: number;
  /** The address group a client address counts in (see limits/address-group.ts). */
  groupOf?: (ip: string) => string;
}

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
  /** Detached sessions, oldest detach first: the first the budget drops. */
  readonly #detached = new Set<Session>();
  /** The same, by address group, for the per-group cap. */
  readonly #detachedByGroup = new Map<string, Set<Session>>();
  /** Bytes retained by every session here, kept as they change (the budget is checked in O(1)). */
  readonly meter: RetentionMeter = { bytes: 0 };
  readonly #totalBytes: number;
  readonly #detachedPerGroup: number;
  readonly #groupOf: (ip: string) => string;
  #log: SessionLog | null = null;

  constructor(
    private readonly options: SessionStoreOptions,
    private readonly stats: RelayStats,
    private readonly logger: Logger,
    private readonly delivery: Delivery,
  ) {
    this.#totalBytes = options.totalBytes ?? 0;
    this.#detachedPerGroup = options.detachedPerGroup ?? 0;
    this.#groupOf = options.groupOf ?? ((ip) => ip);
  }

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
    const session = this.#newSession(conn.key, conn.uuid, conn);
    this.#byKey.set(conn.key, session);
    return session;
  }

  /** The page's connection closed: keep the session for the retention age. */
  detach(conn: Connection, now = Date.now()): void {
    const session = this.#byKey.get(conn.key);
    if (session?.conn !== conn) return;
    this.#detach(session, now);
  }

  /** Detach `session` from `conn` if it is still attached to it (closed during a resume). */
  detachSession(session: Session, conn: Connection, now = Date.now()): void {
    if (session.conn !== conn) return;
    this.#detach(session, now);
  }

  /** Sessions waiting for their page to resume. */
  get detachedCount(): number {
    return this.#detached.size;
  }

  /**
   * A numbered message of the page's log, to be written now if the page is
   * attached and keeping up; else it waits in the log (`held`).
   */
  deliver(session: Session, entry: LogEntry): Outcome {
    if (entry.seq > session.lastSeq) session.lastSeq = entry.seq;
    // The message was just retained: one comparison keeps the relay-wide budget.
    if (this.#totalBytes > 0 && this.meter.bytes > this.#totalBytes) this.#overBudget();
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
      session = this.#newSession(key, uuid, conn, newEpoch());
      this.#byKey.set(key, session);
      await log.create(key, session.epoch);
      this.stats.resumesFailed++;
      return { session, recovered: false, replay: [] };
    }
    if (!session) {
      session = this.#newSession(key, uuid, conn, read.position.epoch);
      this.#byKey.set(key, session);
    }
    session.epoch = read.position.epoch;
    if (read.position.seq > session.lastSeq) session.lastSeq = read.position.seq;
    this.#attach(session, conn);
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
        this.#attach(existing, conn);
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

  /**
   * Totals for the metrics endpoint (computed when scraped, not per
   * message): the messages this node retains, and the bytes of those and
   * of the latest progress messages kept beside them.
   */
  retained(): { messages: number; bytes: number } {
    let messages = 0;
    for (const session of this.#byKey.values()) messages += session.retention.size;
    return { messages, bytes: this.meter.bytes };
  }

  #newSession(key: string, uuid: string, conn: Connection, epoch?: string): Session {
    const session = new Session(key, uuid, conn, this.options, epoch, this.meter);
    session.group = this.#groupOf(conn.ip);
    return session;
  }

  #attach(session: Session, conn: Connection): void {
    this.#forgetDetached(session);
    session.attach(conn);
    session.group = this.#groupOf(conn.ip);
  }

  #detach(session: Session, now: number): void {
    session.detach(now);
    this.#behind.delete(session);
    this.#detached.add(session);
    let group = this.#detachedByGroup.get(session.group);
    if (group === undefined) this.#detachedByGroup.set(session.group, (group = new Set()));
    group.add(session);
    if (this.#detachedPerGroup > 0 && group.size > this.#detachedPerGroup) {
      // One client (an address group) keeps only its newest away pages: it cannot fill the budget alone.
      const oldest = group.values().next().value!;
      this.#evict(oldest, 'per_ip');
    }
  }

  #forgetDetached(session: Session): void {
    if (!this.#detached.delete(session)) return;
    const group = this.#detachedByGroup.get(session.group);
    if (group === undefined) return;
    group.delete(session);
    if (group.size === 0) this.#detachedByGroup.delete(session.group);
  }

  /**
   * Over the relay-wide budget: the sessions detached longest go first,
   * whole (their pages resume with `recovered: false` in a new epoch); if
   * the attached ones alone are over, the oldest of them lose their history.
   */
  #overBudget(): void {
    for (const session of this.#detached) {
      if (this.meter.bytes <= this.#totalBytes) return;
      this.#evict(session, 'budget');
    }
    for (const session of this.#byKey.values()) {
      if (this.meter.bytes <= this.#totalBytes) return;
      if (session.retention.size === 0 && session.progressBytes === 0) continue;
      session.forgetHistory();
      this.stats.countSessionEviction('history');
    }
  }

  #evict(session: Session, why: 'budget' | 'per_ip'): void {
    this.#drop(session);
    this.stats.countSessionEviction(why);
    void this.#log?.expire(session.key).catch(() => {});
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
    if (this.#byKey.get(session.key) === session) this.#byKey.delete(session.key);
    this.#behind.delete(session);
    this.#forgetDetached(session);
    session.forgetHistory();
  }

  #requireLog(): SessionLog {
    if (this.#log === null) throw new Error('SessionStore: useLog() was not called');
    return this.#log;
  }
}
