/**
 * Reconnect delays: exponential growth with a ceiling, and jitter so that
 * many clients dropped at once (a relay restart) do not return at once.
 */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  initialMs: number;
  /** Ceiling for any delay, in ms. */
  maxMs: number;
  /** Growth per attempt (2 doubles). */
  factor: number;
  /**
   * Share of the delay that is random, 0..1: the delay is drawn from
   * [base * (1 - jitter), base]. 0 gives fixed delays.
   */
  jitter: number;
}

export const defaultBackoff: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 250,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
});

/** Reject nonsense early, when the client is built, with one clear line. */
export function validateBackoff(options: BackoffOptions): BackoffOptions {
  const { initialMs, maxMs, factor, jitter } = options;
  if (!(Number.isFinite(initialMs) && initialMs >= 0)) throw new RangeError(`backoff initialMs must be a number >= 0, got ${initialMs}`);
  if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) throw new RangeError(`backoff maxMs must be >= initialMs, got ${maxMs}`);
  if (!(Number.isFinite(factor) && factor >= 1)) throw new RangeError(`backoff factor must be >= 1, got ${factor}`);
  if (!(Number.isFinite(jitter) && jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff jitter must be in 0..1, got ${jitter}`);
  return options;
}

/**
 * The delay before retry number `attempt` (0 for the first retry).
 * `random` returns a number in [0, 1); injectable so tests are exact.
 * @example backoffDelay(3, { initialMs: 100, maxMs: 10_000, factor: 2, jitter: 0 }) // 800
 */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const { initialMs, maxMs, factor, jitter } = options;
  // Cap the exponent's result before it can overflow to Infinity on long outages.
  const base = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt)));
  const spread = base * jitter * random();
  return Math.round(base - spread);
}
