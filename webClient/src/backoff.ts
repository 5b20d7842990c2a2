/** How long to wait between reconnect attempts. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  initialMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /**
   * Share of the delay that is randomised (0..1). Without jitter, every page
   * of a restarted relay would reconnect in the same millisecond.
   */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * The delay before reconnect attempt number `attempt` (0 for the first retry):
 * exponential growth capped at maxMs, of which a `jitter` share is random.
 * @example backoffDelay(3, defaultBackoff, () => 1) // 4000
 */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * Math.pow(options.factor, Math.max(0, attempt)));
  const jitter = Math.min(1, Math.max(0, options.jitter));
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * random());
}
