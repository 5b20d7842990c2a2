/**
 * A token bucket: holds up to `capacity` tokens, refilled continuously at
 * `ratePerSecond`; each request takes one. Pure: the caller passes the time,
 * so tests need no clock.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #tokens: number;
  #updatedAt: number;

  constructor(ratePerSecond: number, capacity: number, nowMs: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError('the rate must be a positive number');
    if (!(capacity >= 1) || !Number.isFinite(capacity)) throw new RangeError('the capacity must be at least 1');
    this.#rate = ratePerSecond;
    this.#capacity = capacity;
    this.#tokens = capacity;
    this.#updatedAt = nowMs;
  }

  /** Take a token; 0 when granted, else the milliseconds until one is there. */
  take(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  /** True when the bucket would be full at `nowMs` (it can be forgotten). */
  isFull(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens >= this.#capacity;
  }

  #refill(nowMs: number): void {
    // A clock that steps back must not mint tokens nor take them.
    const elapsed = Math.max(0, nowMs - this.#updatedAt);
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed / 1000) * this.#rate);
    this.#updatedAt = Math.max(this.#updatedAt, nowMs);
  }
}
