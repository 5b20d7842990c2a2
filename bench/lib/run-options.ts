/** The bench runner's command line, parsed and checked before anything starts. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { scenarios } from '../scenarios/index.js';
import { defaultResultsDir } from './paths.js';
import type { RelayKind } from './relay-process.js';

export interface RunOptions {
  quick: boolean;
  /** The smoke test's size: quick, with a few messages per scenario. */
  tiny: boolean;
  repeat: number;
  only: string[];
  relays: RelayKind[];
  out: string;
  profile: string | null;
  /** Our relay only (with `--baseline`, both columns): config keys set over the defaults, and extra node flags (investigations). */
  set: Record<string, number | string | boolean>;
  nodeFlags: string[];
  /** `--baseline REF`: the Reference column is our relay built at this commit, not the reference relay. */
  baseline: string | null;
  /** `--baseline-patch FILE`: applied to the baseline's tree before it is built (e.g. a control build without one feature). */
  baselinePatch: string | null;
}

/** `key=value` pairs: numbers, true/false and text, as RelayConfig holds them. */
export function parseSettings(text: string | undefined): Record<string, number | string | boolean> {
  const settings: Record<string, number | string | boolean> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`--set: "${pair}" is not key=value`);
    const raw = pair.slice(equals + 1);
    settings[pair.slice(0, equals)] =
      raw === 'true' ? true : raw === 'false' ? false : Number.isFinite(Number(raw)) && raw !== '' ? Number(raw) : raw;
  }
  return settings;
}

/** `argv` as process.argv has it (node and the script first). */
export function parseRunOptions(argv: readonly string[]): RunOptions {
  const program = new Command()
    .name('bench')
    .option('--quick', 'one-minute smoke run: smaller loads, one run per relay')
    .option('--tiny', 'smoke test: like --quick with a few messages per scenario (checks the bench runs, not its numbers)')
    .option('--repeat <n>', 'runs per relay and scenario (median is reported); default 3, quick 1')
    .option('--only <names>', 'comma-separated scenario names')
    .option('--relays <list>', 'which relays to run: ours,reference', 'ours,reference')
    .option('--baseline <ref>', 'compare with our relay at this git commit (built once into a cache) instead of the reference relay')
    .option(
      '--baseline-patch <file>',
      'with --baseline: apply this patch (git apply) to that commit before building it, e.g. bench/baseline/without-hooks.patch',
    )
    .option('--out <dir>', 'where to write the results', defaultResultsDir)
    .option('--profile <dir>', 'write CPU profiles of the relays (node --cpu-prof) into this directory')
    .option('--set <pairs>', 'our relay only (both columns with --baseline): RelayConfig keys over the defaults, e.g. retentionCount=0')
    .option('--node-flags <flags>', 'our relay only (both columns with --baseline): extra node flags, e.g. "--max-semi-space-size=4"')
    .parse([...argv]);
  const raw = program.opts<{
    quick?: boolean;
    tiny?: boolean;
    repeat?: string;
    only?: string;
    relays: string;
    baseline?: string;
    baselinePatch?: string;
    out: string;
    profile?: string;
    set?: string;
    nodeFlags?: string;
  }>();
  const tiny = raw.tiny === true;
  const quick = raw.quick === true || tiny;
  const relays = raw.relays.split(',').map((name) => name.trim());
  for (const relay of relays) if (relay !== 'ours' && relay !== 'reference') throw new Error(`--relays: unknown relay "${relay}"`);
  const baseline = raw.baseline?.trim() ?? null;
  if (baseline === '') throw new Error('--baseline needs a git ref or commit');
  if (baseline !== null && !(relays.includes('ours') && relays.includes('reference')))
    throw new Error('--baseline compares two columns: leave --relays out');
  if (raw.baselinePatch !== undefined && baseline === null) throw new Error('--baseline-patch needs --baseline REF');
  const only = raw.only ? raw.only.split(',').map((name) => name.trim()) : [];
  for (const name of only)
    if (!scenarios.some((scenario) => scenario.name === name))
      throw new Error(`--only: no scenario "${name}" (have: ${scenarios.map((s) => s.name).join(', ')})`);
  const repeat = raw.repeat !== undefined ? Number(raw.repeat) : quick ? 1 : 3;
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  return {
    quick,
    tiny,
    repeat,
    only,
    relays: relays as RelayKind[],
    out: resolve(raw.out),
    profile: raw.profile ? resolve(raw.profile) : null,
    set: parseSettings(raw.set),
    nodeFlags: (raw.nodeFlags ?? '').split(' ').filter(Boolean),
    baseline,
    baselinePatch: raw.baselinePatch !== undefined ? resolve(raw.baselinePatch) : null,
  };
}
