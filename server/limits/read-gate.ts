import type { Pausable } from './inbound-throttle.js';

/** Why a connection's reading is held: several may hold it at once. */
export const ReadHold = {
  /** Over maxMessageRate (InboundThrottle). */
  Rate: 1,
  /** The replies to it are not read: more than maxBuffered queued. */
  Replies: 2,
  /** Too many of its publishes wait for a shared engine's answer (UnsettledPublishes). */
  Unsettled: 4,
} as const;
export type ReadHold = (typeof ReadHold)[keyof typeof ReadHold];

/**
 * Pauses reading a socket while any reason holds it, and resumes it when
 * the last one lets go, so the message-rate throttle resuming cannot undo
 * the reply backpressure (or the other way round).
 *
 * @example
 * const gate = new ReadGate(ws);
 * const throttle = new InboundThrottle(gate.as(ReadHold.Rate), rate);
 * if (conn.bufferedBytes > max) gate.hold(ReadHold.Replies);
 */
export class ReadGate {
  readonly #target: Pausable;
  #holds = 0;

  constructor(target: Pausable) {
    this.#target = target;
  }

  get held(): boolean {
    return this.#holds !== 0;
  }

  has(reason: ReadHold): boolean {
    return (this.#holds & reason) !== 0;
  }

  hold(reason: ReadHold): void {
    if (this.#holds === 0) this.#target.pause();
    this.#holds |= reason;
  }

  release(reason: ReadHold): void {
    if ((this.#holds & reason) === 0) return;
    this.#holds &= ~reason;
    if (this.#holds === 0) this.#target.resume();
  }

  /** The gate seen as one reason's pause/resume (what InboundThrottle drives). */
  as(reason: ReadHold): Pausable {
    return { pause: () => this.hold(reason), resume: () => this.release(reason) };
  }
}
