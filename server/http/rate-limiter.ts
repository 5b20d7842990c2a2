import { TokenBucket } from '../limits/token-bucket.js';

/** How often idle buckets are swept out (lazily, on a request: no timer to own). */
const SWEEP_EVERY_MS = 60_000;

/**
 * One token bucket per key (the client IP): `ratePerSecond` requests per
 * second with a burst of `burst` (default: one second's worth). A bucket that has refilled is
 * dropped on the next sweep, so memory follows the active clients only.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, TokenBucket>();
  #lastSweep: number;

  constructor(ratePerSecond: number, nowMs: number = Date.now(), burst: number = Math.ceil(ratePerSecond)) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#lastSweep = nowMs;
  }

  /** 0 when the request may go ahead, else the milliseconds to wait. */
  take(key: string, nowMs: number = Date.now()): number {
    if (nowMs - this.#lastSweep >= SWEEP_EVERY_MS) this.#sweep(nowMs);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.#rate, this.#burst, nowMs);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(nowMs);
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(nowMs: number): void {
    this.#lastSweep = nowMs;
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(nowMs)) this.#buckets.delete(key);
  }
}
