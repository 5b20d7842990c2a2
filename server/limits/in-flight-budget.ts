/**
 * What one connection holds of messages not finished yet: bytes read from
 * its socket since its last complete message (a partial frame, RFC 6455
 * fragments that ws keeps until the last one) and the chunks of a
 * `bufferON`…`bufferOFF` message the joiner keeps. Made by the budget.
 */
export interface InFlight {
  /** Read from the socket since the last complete message. */
  wire: number;
  /** Held by the chunk joiner. */
  joined: number;
  /** When the oldest unfinished part began (the budget's coarse clock). */
  since: number;
  /** In the budget's watch list (left there lazily, see tick). */
  watched: boolean;
  /** Called by tick when the unfinished message is older than the timeout. */
  readonly expire: () => void;
}

export interface InFlightLimits {
  /** Bytes every connection together may hold; 0 = no limit. */
  totalBytes: number;
  /** How long a message may stay unfinished. */
  timeoutMs: number;
}

/**
 * The relay-wide bound on unfinished messages: every byte a client has sent
 * of a message that is not complete yet counts here, and a connection that
 * would take the total past `totalBytes` is refused (the caller closes it
 * with IN_FLIGHT_FULL; what others hold is untouched). `tick` finds the
 * messages unfinished for longer than `timeoutMs`.
 *
 * Cheap on the read path: a read adds to two numbers; a connection is put
 * on the watch list when an unfinished message begins and taken off by the
 * next tick after it finished, so a busy connection costs one Set insertion
 * a tick, not one per message. Pure: the clock is passed in.
 *
 * @example
 * const budget = new InFlightBudget({ totalBytes: 64 << 20, timeoutMs: 60_000 });
 * const held = budget.entry(() => conn.close(...));
 * if (!budget.read(held, chunk.length)) conn.close(...);
 */
export class InFlightBudget {
  readonly #limits: InFlightLimits;
  #total = 0;
  /** A coarse clock (set by tick): reads do not ask for the time. */
  #now: number;
  readonly #watched = new Set<InFlight>();

  constructor(limits: InFlightLimits, now = Date.now()) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Bytes of unfinished messages held now, by every connection. */
  get bytes(): number {
    return this.#total;
  }

  /** A connection's account, empty; `expire` is what tick calls when its message is too old. */
  entry(expire: () => void): InFlight {
    return { wire: 0, joined: 0, since: 0, watched: false, expire };
  }

  /** `bytes` were read from the connection's socket; false when that takes the total over the budget. */
  read(held: InFlight, bytes: number): boolean {
    if (held.wire === 0 && held.joined === 0) this.#begin(held);
    held.wire += bytes;
    this.#total += bytes;
    return this.#limits.totalBytes === 0 || this.#total <= this.#limits.totalBytes;
  }

  /** A message completed: what was read of it is not in flight any more. */
  completed(held: InFlight): void {
    this.#total -= held.wire;
    held.wire = 0;
  }

  /** A control frame (ping, pong) of `payload` bytes completed: its bytes leave the count (6: a masked frame's head). */
  control(held: InFlight, payload: number): void {
    const bytes = Math.min(held.wire, 6 + payload);
    held.wire -= bytes;
    this.#total -= bytes;
  }

  /** The chunk joiner now holds `bytes` (0 when it finished or gave up); false when over the budget. */
  joining(held: InFlight, bytes: number): boolean {
    if (bytes > 0 && held.joined === 0 && held.wire === 0) this.#begin(held);
    else if (bytes > 0 && held.joined === 0) held.since = this.#now;
    this.#total += bytes - held.joined;
    held.joined = bytes;
    return bytes === 0 || this.#limits.totalBytes === 0 || this.#total <= this.#limits.totalBytes;
  }

  /** The connection is gone: everything it held is freed. */
  release(held: InFlight): void {
    this.#total -= held.wire + held.joined;
    held.wire = 0;
    held.joined = 0;
    if (held.watched) {
      held.watched = false;
      this.#watched.delete(held);
    }
  }

  /**
   * Advance the clock, and call `expire` of every account whose unfinished
   * message began more than `timeoutMs` ago (it is released then).
   */
  tick(now: number): void {
    this.#now = now;
    const cutoff = now - this.#limits.timeoutMs;
    for (const held of this.#watched) {
      if (held.wire === 0 && held.joined === 0) {
        held.watched = false;
        this.#watched.delete(held);
      } else if (held.since < cutoff) {
        this.release(held);
        held.expire();
      }
    }
  }

  #begin(held: InFlight): void {
    held.since = this.#now;
    if (!held.watched) {
      held.watched = true;
      this.#watched.add(held);
    }
  }
}
