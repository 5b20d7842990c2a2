import type { EncodedFrame } from '../protocol/frame-encoder.js';
import type { Connection } from '../transport/connection.js';

/**
 * Coalesces broadcasts, much as Nagle's algorithm does for TCP: each page's
 * broadcast frames are held (Connection.hold) for up to `windowMs`, then
 * written in one write per page (Connection.release). A page that gets
 * several broadcasts within the window takes them in one system call
 * instead of one each — and the system call, not our code, is most of what
 * a delivery costs. Holding a frame costs an array push, so a broadcast to
 * many pages takes little time while held and more of them fit in a window.
 *
 * Every broadcast is held, the first after a quiet spell too: a publisher
 * that waits for `next` before its next broadcast answers in more than a
 * 2 ms window on a busy machine, so "write the first at once" wrote about
 * every other broadcast on its own and saved little.
 *
 * The flush waits for the end of the event-loop turn in which the window ran
 * out (a setImmediate after the timer), not the timer itself: timers run
 * before the loop reads its sockets, so a broadcast that already arrived
 * joins the held frames instead of being written on its own after them.
 *
 * Added latency per broadcast: at most `windowMs`, plus the turn running
 * when it ran out and the next one.
 */
export class BroadcastBatcher {
  /** False for a zero window: every broadcast is written at once. */
  readonly enabled: boolean;
  readonly #windowMs: number;
  /** Connections holding frames for the next flush, each once. */
  #holding: Connection[] = [];
  /** While holding: the window's timer, then the end-of-turn flush. */
  #timer: NodeJS.Timeout | null = null;
  #flushAtTurnEnd: NodeJS.Immediate | null = null;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
    this.enabled = windowMs > 0;
  }

  /** Hold one frame for `conn` until the flush; false when `conn` is closed. */
  hold(conn: Connection, frame: EncodedFrame): boolean {
    const first = !conn.holdsFrames;
    if (!conn.hold(frame)) return false;
    if (first && conn.holdsFrames) this.#holding.push(conn);
    if (this.#timer === null && this.#flushAtTurnEnd === null) this.#timer = setTimeout(this.#windowEnded, this.#windowMs);
    return true;
  }

  /** Flush what is held and stop the timers (shutdown). */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#flushAtTurnEnd !== null) clearImmediate(this.#flushAtTurnEnd);
    this.#timer = null;
    this.#flushAtTurnEnd = null;
    this.#flush();
  }

  readonly #windowEnded = (): void => {
    this.#timer = null;
    this.#flushAtTurnEnd = setImmediate(this.#flushHeld);
  };

  readonly #flushHeld = (): void => {
    this.#flushAtTurnEnd = null;
    this.#flush();
  };

  #flush(): void {
    const holding = this.#holding;
    this.#holding = [];
    for (const conn of holding) conn.release();
  }
}
