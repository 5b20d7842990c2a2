import type { Connection } from '../transport/connection.js';

/**
 * Coalesces broadcasts under load, much as Nagle's algorithm does for TCP.
 * A broadcast after a quiet spell is written at once. A broadcast that comes
 * within `windowMs` of the previous broadcast activity is held in the pages'
 * corked sockets, and everything held is flushed together `windowMs` later:
 * a page then gets several frames in one write instead of one system call
 * each — and the system call, not our code, is most of what a delivery
 * costs. Added latency is at most `windowMs` (plus the flush), and only while
 * broadcasts keep coming.
 */
export class BroadcastBatcher {
  readonly #windowMs: number;
  readonly #corked = new Set<Connection>();
  #lastActivity = -Infinity;
  #timer: NodeJS.Timeout | null = null;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Call before writing one broadcast; true when its writes are to be held (cork the recipients). */
  begin(now = performance.now()): boolean {
    if (this.#windowMs <= 0 || now - this.#lastActivity > this.#windowMs) return false;
    if (this.#timer === null) this.#timer = setTimeout(() => this.#flushHeld(), this.#windowMs);
    return true;
  }

  /** Call after writing one broadcast. */
  end(now = performance.now()): void {
    this.#lastActivity = now;
  }

  /** Hold this connection's writes until the flush. */
  cork(conn: Connection): void {
    if (this.#corked.has(conn)) return;
    if (conn.cork()) this.#corked.add(conn);
  }

  /** Flush what is held and stop the timer (shutdown). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#flush();
  }

  #flushHeld(): void {
    this.#timer = null;
    this.#flush();
    // The flush itself is broadcast activity: a broadcast right after it is batched again.
    this.#lastActivity = performance.now();
  }

  #flush(): void {
    for (const conn of this.#corked) conn.uncork();
    this.#corked.clear();
  }
}
