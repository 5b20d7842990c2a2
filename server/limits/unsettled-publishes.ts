import { ReadHold, type ReadGate } from './read-gate.js';

/**
 * Publishes of one connection that a shared engine has not answered yet, at
 * most this many: past it the connection is not read until half of them are
 * answered. Each one holds its message, a Redis command and a pending answer,
 * so a v2 backend that sends without waiting would otherwise grow the
 * relay's memory (and its GC time) for as long as it outpaces Redis.
 */
export const MAX_UNSETTLED_PUBLISHES = 256;

/**
 * Counts a connection's publishes in flight through the engine and holds its
 * reading (ReadHold.Unsettled) while there are too many. Only connections on
 * a shared engine get one: the memory engine answers before the next message
 * is read.
 *
 * @example
 * conn.unsettled = new UnsettledPublishes(gate);
 * conn.unsettled?.track(broker.publish(target, payload));
 */
export class UnsettledPublishes {
  readonly #gate: ReadGate;
  readonly #max: number;
  #count = 0;
  readonly #settled = (): void => {
    this.#count--;
    if (this.#count === this.#max >> 1) this.#gate.release(ReadHold.Unsettled);
  };

  constructor(gate: ReadGate, max = MAX_UNSETTLED_PUBLISHES) {
    this.#gate = gate;
    this.#max = max;
  }

  /** Count `result` until it settles; returns it unchanged. */
  track<T>(result: Promise<T>): Promise<T> {
    if (++this.#count === this.#max) this.#gate.hold(ReadHold.Unsettled);
    result.then(this.#settled, this.#settled);
    return result;
  }
}
