/**
 * What a benchmark scenario is: a name, the metrics it reports (with the
 * issue's targets), and a run against one relay. The runner runs each
 * scenario against both relays, repeats it, and compares.
 */
import type { ChildHandle } from '../lib/child-handle.js';
import type { RedisServer } from '../lib/redis-server.js';
import type { RelayKind, RelayProcess } from '../lib/relay-process.js';
import type { Topology } from './relay-nodes.js';
import type { BackendsConfig, HttpPublishersConfig, PagesConfig, ResumingPagesConfig } from '../load/load-config.js';

export interface RatioTarget {
  op: '>=' | '<=';
  /** Bound on ours/reference. */
  value: number;
}

export interface AbsoluteTarget {
  op: '>=' | '<=';
  /** Bound on our value, in the metric's unit. */
  value: number;
  /** How the bound reads in the table, e.g. "≤ 3 × 64 MiB". */
  label: string;
}

export interface MetricSpec {
  key: string;
  /** Label with unit, as in the table. */
  label: string;
  decimals: number;
  /** What kind of figure it is, for targets set per kind rather than per scenario (`--baseline`: every throughput, every CPU per delivery). */
  measures?: 'throughput' | 'cpuPerDelivery';
  ratioTarget?: RatioTarget;
  absoluteTarget?: AbsoluteTarget;
}

/** One run of a scenario against one relay. */
export interface RunResult {
  /** Deliveries the load should have produced. */
  sent: number;
  /** Distinct deliveries that arrived (intact, for large). */
  delivered: number;
  duplicates: number;
  metrics: Record<string, number>;
}

export interface RunContext {
  /** The relay this run starts (a scenario with `sides` may run ours on both). */
  relayKind: RelayKind;
  /** Which column of the table this run fills: ours, or the reference (or the scenario's `sides`). */
  side: Side;
  /** The nodes a delivery scenario runs on (its side's, or one node). */
  topology: Topology;
  quick: boolean;
  /** `--tiny` (the smoke test): quick, and the scenarios that know it shrink to a few messages; it checks the bench runs, not its numbers. */
  tiny: boolean;
  /** Start the relay under test; the runner stops it after the run. */
  startRelay(options?: {
    maxMessageBytes?: number;
    publishSecret?: string;
    /** Our relay: config keys the scenario needs (`--set` comes on top). */
    settings?: Record<string, number | string | boolean>;
  }): Promise<RelayProcess>;
  /** Start a redis-server for a cluster of our relays; the runner stops it after the run (after the relays). */
  startRedis(): Promise<RedisServer>;
  /** Start a load generator; the runner stops it after the run. */
  spawnPages(config: Omit<PagesConfig, 'maxRunMs'>): ChildHandle;
  spawnBackends(config: Omit<BackendsConfig, 'maxRunMs'>): ChildHandle;
  spawnHttpPublishers(config: Omit<HttpPublishersConfig, 'maxRunMs'>): ChildHandle;
  spawnResumingPages(config: Omit<ResumingPagesConfig, 'maxRunMs'>): ChildHandle;
  log(text: string): void;
}

/** A column of the results table. */
export type Side = 'ours' | 'reference';

/** What runs in one column of a scenario that compares two variants instead of ours and the reference. */
export interface SideSpec {
  /** How the column reads in the table, e.g. "no-op preSend". */
  label: string;
  relay: RelayKind;
  /** Our relay with one trivial preSend hook registered (prices the hooks path). */
  preSendHook?: boolean;
  /** Run the delivery scenario on two nodes sharing Redis (default: one node). */
  topology?: Topology;
}

export interface Scenario {
  name: string;
  title: string;
  /**
   * Compare two variants side by side instead of ours and the reference:
   * `ours` fills the Ours column (the numerator of the ratio), `reference`
   * the Reference column. Runs interleave as usual.
   */
  sides?: { ours: SideSpec; reference: SideSpec };
  metrics: readonly MetricSpec[];
  /** The load, for the results file and the table header. */
  describe(quick: boolean, tiny?: boolean): string;
  /** Set when the scenario cannot run yet: the runner prints it and skips. */
  pending?: string;
  /** Leave out of --quick runs (the quick run keeps a smaller variant). */
  fullOnly?: boolean;
  run(context: RunContext): Promise<RunResult>;
}
