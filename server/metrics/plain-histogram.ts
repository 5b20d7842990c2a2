import type { Registry } from 'prom-client';

/** One labelled series: a count per bucket (not cumulative), the sum and the count. */
interface Series {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram fed with plain arithmetic on the hot path: each
 * labelled series is bound once (`series(...)`), and an observation is a
 * bucket search and three additions, with no label hashing or object
 * creation (prom-client's Histogram hashes the label object on every
 * observe, which showed in the HTTP publish profile). The registry reads it
 * like any prom-client metric when scraped.
 */
export class PlainHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  /** prom-client merges metrics across cluster workers with this. */
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series: Series[] = [];

  constructor(options: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    // Duck-typed: the registry needs name, help, type and get().
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The observer of one labelled series (made once, reused per observation). */
  series(labels: Record<string, string>): (value: number) => void {
    const series: Series = { labels: { ...labels }, counts: new Float64Array(this.#bounds.length), sum: 0, count: 0 };
    this.#series.push(series);
    const bounds = this.#bounds;
    return function observe(value: number): void {
      if (!Number.isFinite(value)) return;
      series.sum += value;
      series.count++;
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]!) {
          series.counts[i]!++;
          return;
        }
      }
    };
  }

  /** What prom-client's registry formats: cumulative buckets, +Inf, sum and count per series. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: object[] }> {
    const values: object[] = [];
    for (const series of this.#series) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({ labels: { ...series.labels, le: this.#bounds[i] }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** prom-client calls reset() on registry.resetMetrics(). */
  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
