/**
 * Microseconds on the system-wide monotonic clock. process.hrtime reads
 * CLOCK_MONOTONIC, which every process on the machine shares, so a send time
 * stamped in a backend process can be subtracted from a receive time taken in
 * a page process.
 */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Resolve after `ms`; only for pacing load, never for waiting on an event. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
