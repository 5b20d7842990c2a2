/** How the failed webhook POSTs of one target are retried. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly firstMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
  /** Attempts in all, the first one included; then the events are dropped (and counted). */
  readonly attempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { firstMs: 1_000, maxMs: 30_000, attempts: 5 };

/**
 * The delay before attempt `attempt` (2 = the first retry): doubling from
 * `firstMs`, capped, with up to a fifth taken off at random so that the
 * nodes of a cluster do not retry against a recovering receiver all at
 * once. `random` is an argument so that tests can fix it. Null: give up.
 */
export function retryDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number | null {
  if (attempt > policy.attempts) return null;
  const base = Math.min(policy.maxMs, policy.firstMs * 2 ** Math.max(0, attempt - 2));
  return Math.round(base * (1 - 0.2 * random()));
}
