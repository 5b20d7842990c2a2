import type { LogEntry, Payload, StreamPosition } from './publication.js';

/** The answer of `readSince`. */
export interface LogRead {
  /** The log's position now (its epoch and newest seq), or null when the page has no log (never had, expired, lost). */
  position: StreamPosition | null;
  /**
   * Every message after the asked position, oldest first; null when that
   * cannot be given: some are trimmed away, or the asked epoch is not the
   * log's (its numbering started again), or there is no log.
   */
  entries: LogEntry[] | null;
}

/** The retention limits every engine's log keeps to. */
export interface LogLimits {
  count: number;
  bytes: number;
  ageMs: number;
}

/**
 * The resumable history of each v2 page: numbered messages within an epoch,
 * and the latest progress message of each job.
 *
 * What an implementer guarantees:
 * - `append` numbers a page's messages 1, 2, 3… without gaps or repeats
 *   within one epoch and keeps them in that order; the text it resolves
 *   (and stores) is the payload with `"seq":N,` spliced in front.
 * - An epoch never comes back: a log that was lost (expired, Redis restarted
 *   empty) is made again under a new epoch, so a position from the old one is
 *   reported as not recoverable rather than answered with other messages.
 * - `readSince` returns either every entry after the position or null; never
 *   a list with holes.
 * - Entries are kept within the retention limits (count, bytes, age) and a
 *   log nobody keeps alive is forgotten after `ageMs`.
 * - Latest progress: at most 100 jobs per page and no more than the byte
 *   limit, the newest kept.
 */
export interface SessionLog {
  /** Make the log of a new page, numbering from 1 in `epoch`. */
  create(key: string, epoch: string): Promise<void>;
  /** Number and keep a message; null when the page has no log (then it is not a session). */
  append(key: string, payload: Payload): Promise<(StreamPosition & LogEntry) | null>;
  /** What follows `from` (see LogRead). A null epoch (a client that knows none) matches any. */
  readSince(key: string, from: { seq: number; epoch: string | null }): Promise<LogRead>;
  /** The latest message of each job that carried `progress.job`, oldest first. */
  latestProgress(key: string): Promise<LogEntry[]>;
  /** Drop entries over the limits now (age is relative to `now`). */
  trim(key: string, now: number): Promise<void>;
  /** Forget the page's log (it was gone for longer than the retention age). */
  expire(key: string): Promise<void>;
  /** Keep the logs of pages attached here from expiring (called periodically). */
  keepAlive(keys: Iterable<string>): Promise<void>;
}
