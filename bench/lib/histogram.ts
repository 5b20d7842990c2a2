/**
 * Latency histograms (HDR, microseconds). Page processes record into one and
 * ship it to the runner encoded, so several processes can be merged exactly.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** One minute in microseconds: anything slower is clamped (and still counted). */
const HIGHEST_US = 60_000_000;

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Record a latency in µs, clamped into the trackable range. */
export function recordUs(histogram: Histogram, valueUs: number): void {
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(valueUs))));
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Merge encoded histograms from several processes into one. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const merged = newHistogram();
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text));
  return merged;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarize(histogram: Histogram): LatencySummary {
  const ms = (us: number): number => us / 1000;
  return {
    count: histogram.totalCount,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
  };
}
