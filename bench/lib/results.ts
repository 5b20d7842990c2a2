/** The results file: what ran, where, and how each relay did. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { BaselineAbilities } from '../baseline/abilities.js';
import type { RunResult } from '../scenarios/scenario.js';
import type { DeliveryTotals, MetricComparison } from './compare.js';

export interface ScenarioOutcome {
  name: string;
  title: string;
  load: string;
  /** Set when the scenario compares two variants: what its Ours and Reference columns hold. */
  sides?: { ours: string; reference: string };
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped, or what went wrong. */
  notes: string[];
  runs: { ours: RunResult[]; reference: RunResult[] };
  totals: { ours: DeliveryTotals; reference: DeliveryTotals };
  comparison: MetricComparison[];
}

export interface Machine {
  cpuModel: string;
  cpus: number;
  memoryMiB: number;
  kernel: string;
}

export interface BenchResults {
  mode: 'quick' | 'full';
  date: string;
  commit: string;
  node: string;
  machine: Machine;
  repeat: number;
  relays: string[];
  /** Set with `--baseline`: the Reference column is our relay built at this commit, and what its bench relay understood. */
  baseline?: { ref: string; commit: string; short: string; abilities: BaselineAbilities };
  durationSeconds: number;
  /** 1-minute load average at the start and the end: how busy the shared machine was. */
  loadAverage: { start: number; end: number };
  /** No message lost or duplicated, no scenario failed. */
  passed: boolean;
  /** Set only when our relay ran with changed settings or node flags (`--set`, `--node-flags`). */
  ourRelayChanges?: { settings: Record<string, number | string | boolean>; nodeFlags: string[] };
  scenarios: ScenarioOutcome[];
}

/** The 1-minute load average, rounded. */
export function loadAverageNow(): number {
  return Math.round((loadavg()[0] ?? 0) * 10) / 10;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpus: list.length,
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    kernel: release(),
  };
}

/** The commit the tree is at, with `+dirty` when it has uncommitted changes. */
export function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}
