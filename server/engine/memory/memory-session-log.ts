import { withSequence } from '../../protocol/sequence.js';
import type { Session } from '../../routing/session.js';
import { progressJob, type LogEntry, type Payload, type StreamPosition } from '../publication.js';
import type { LogRead, SessionLog } from '../session-log.js';

/** Where the memory log finds a page's Session: the node's SessionStore. */
export interface SessionSource {
  get(key: string): Session | undefined;
}

/**
 * The memory engine's session log. In one process the page's log is its
 * Session (sequence counter, RetentionBuffer, latest progress per job), so
 * this reads and appends there; a Session dropped by the store is a log
 * forgotten, and one made again has a new epoch.
 */
export class MemorySessionLog implements SessionLog {
  readonly #sessions: SessionSource;

  constructor(sessions: SessionSource) {
    this.#sessions = sessions;
  }

  /** append(), synchronously: the memory broker numbers a message in the same call that delivers it. */
  appendNow(key: string, payload: Payload, now?: number): (StreamPosition & LogEntry) | null {
    const session = this.#sessions.get(key);
    // A v1 page has no session: no clock read for it.
    if (session === undefined) return null;
    const seq = session.lastSeq + 1;
    const text = withSequence(payload.raw, payload.packet, seq);
    session.record(text, progressJob(payload.packet), now ?? Date.now());
    return { seq, text, epoch: session.epoch };
  }

  /** The SessionStore made the Session, which is the log: nothing more to do. */
  create(): Promise<void> {
    return Promise.resolve();
  }

  append(key: string, payload: Payload): Promise<(StreamPosition & LogEntry) | null> {
    return Promise.resolve(this.appendNow(key, payload));
  }

  readSince(key: string, from: { seq: number; epoch: string | null }): Promise<LogRead> {
    const session = this.#sessions.get(key);
    if (session === undefined) return Promise.resolve({ position: null, entries: null });
    const position = { seq: session.lastSeq, epoch: session.epoch };
    if (from.epoch !== null && from.epoch !== session.epoch) return Promise.resolve({ position, entries: null });
    const missed = session.retention.since(from.seq, session.lastSeq);
    return Promise.resolve({ position, entries: missed === null ? null : missed.map(({ seq, text }) => ({ seq, text })) });
  }

  latestProgress(key: string): Promise<LogEntry[]> {
    const session = this.#sessions.get(key);
    if (session === undefined) return Promise.resolve([]);
    return Promise.resolve([...session.latestProgress.values()].sort((a, b) => a.seq - b.seq));
  }

  trim(key: string, now: number): Promise<void> {
    this.#sessions.get(key)?.retention.trim(now);
    return Promise.resolve();
  }

  /** The store dropped the Session: the log went with it. */
  expire(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing expires behind the store's back in one process. */
  keepAlive(): Promise<void> {
    return Promise.resolve();
  }
}
