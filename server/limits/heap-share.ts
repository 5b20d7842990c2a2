import { getHeapStatistics } from 'node:v8';

/**
 * A budget given as `auto` (null): `1/divisor` of the heap this process may
 * grow to (`--max-old-space-size`, or V8's default for the machine), so a
 * relay started with a small heap gets small budgets. A number is kept.
 */
export function heapShare(value: number | null, divisor: number): number {
  if (value !== null) return value;
  return Math.floor(getHeapStatistics().heap_size_limit / divisor);
}
