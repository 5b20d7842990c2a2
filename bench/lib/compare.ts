/**
 * Turning repeated runs into the comparison the issue asks for: the median
 * of each metric per relay, the ratio ours/reference, the spread of the
 * interleaved pairs of runs, and a verdict that says "within noise" when the
 * pairs disagree. Pure, so it is unit-tested without running anything.
 */
import type { MetricSpec, RunResult } from '../scenarios/scenario.js';

export interface MetricComparison {
  key: string;
  label: string;
  decimals: number;
  ours: number | null;
  reference: number | null;
  /** ours / reference of the medians, null when either is missing or the reference is 0. */
  ratio: number | null;
  /**
   * The ratio of each interleaved pair of runs (ours run i / reference run i,
   * run one after the other): the spread the machine's noise gives.
   */
  runRatios: number[];
  /** Lowest and highest value of each relay's runs. */
  oursRange: [number, number] | null;
  referenceRange: [number, number] | null;
  /** The target as it reads in the table, null when the metric has none. */
  target: string | null;
  /** The verdict on the medians; null when there is no target or nothing to judge it on. */
  met: boolean | null;
  /** Pairs of runs judged on their own, and how many of them met the target. */
  runsJudged: number;
  runsMet: number;
  /**
   * `met` or `missed` when the medians and every pair agree; `noise` when the
   * pairs disagree (the median alone would flatter or damn us by chance).
   */
  verdict: 'met' | 'missed' | 'noise' | null;
}

export function median(values: readonly number[]): number | null {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

function holds(op: '>=' | '<=', value: number, bound: number): boolean {
  return op === '>=' ? value >= bound : value <= bound;
}

const opText = { '>=': '≥', '<=': '≤' } as const;

function range(values: readonly number[]): [number, number] | null {
  const finite = values.filter((value) => Number.isFinite(value));
  return finite.length === 0 ? null : [Math.min(...finite), Math.max(...finite)];
}

/** Judge ours against the reference (a pair of runs, or the medians); null when nothing can be judged. */
function judge(spec: MetricSpec, ours: number | null, reference: number | null): boolean | null {
  const ratio = ours !== null && reference !== null && reference !== 0 ? ours / reference : null;
  let met: boolean | null = null;
  if (spec.ratioTarget && ratio !== null) met = holds(spec.ratioTarget.op, ratio, spec.ratioTarget.value);
  if (spec.absoluteTarget && ours !== null) met = (met ?? true) && holds(spec.absoluteTarget.op, ours, spec.absoluteTarget.value);
  return met;
}

function valueOf(run: RunResult | undefined, key: string): number | null {
  const value = run?.metrics[key];
  return value !== undefined && Number.isFinite(value) ? value : null;
}

export function compareMetric(spec: MetricSpec, ours: readonly RunResult[], reference: readonly RunResult[]): MetricComparison {
  const oursValues = ours.map((run) => run.metrics[spec.key] ?? Number.NaN);
  const referenceValues = reference.map((run) => run.metrics[spec.key] ?? Number.NaN);
  const oursValue = median(oursValues);
  const referenceValue = median(referenceValues);
  const ratio = oursValue !== null && referenceValue !== null && referenceValue !== 0 ? oursValue / referenceValue : null;
  const targets: string[] = [];
  if (spec.ratioTarget) targets.push(`${opText[spec.ratioTarget.op]} ${spec.ratioTarget.value}×`);
  if (spec.absoluteTarget) targets.push(spec.absoluteTarget.label);
  const met = judge(spec, oursValue, referenceValue);

  // Run i of each relay ran back to back (the runner alternates who goes first): a pair saw the same machine.
  const runRatios: number[] = [];
  let runsJudged = 0;
  let runsMet = 0;
  const pairs = Math.max(ours.length, reference.length);
  for (let i = 0; i < pairs; i++) {
    const oursRun = valueOf(ours[i], spec.key);
    const referenceRun = valueOf(reference[i], spec.key);
    if (oursRun !== null && referenceRun !== null && referenceRun !== 0) runRatios.push(oursRun / referenceRun);
    const pairMet = judge(spec, oursRun, referenceRun);
    if (pairMet === null) continue;
    runsJudged++;
    if (pairMet) runsMet++;
  }
  let verdict: MetricComparison['verdict'] = null;
  if (met !== null) {
    const agree = runsMet === (met ? runsJudged : 0);
    verdict = !agree ? 'noise' : met ? 'met' : 'missed';
  }
  return {
    key: spec.key,
    label: spec.label,
    decimals: spec.decimals,
    ours: oursValue,
    reference: referenceValue,
    ratio,
    runRatios,
    oursRange: range(oursValues),
    referenceRange: range(referenceValues),
    target: targets.length > 0 ? targets.join(', ') : null,
    met,
    runsJudged,
    runsMet,
    verdict,
  };
}

export interface DeliveryTotals {
  sent: number;
  delivered: number;
  duplicates: number;
}

export function deliveryTotals(runs: readonly RunResult[]): DeliveryTotals {
  return runs.reduce(
    (sum, run) => ({ sent: sum.sent + run.sent, delivered: sum.delivered + run.delivered, duplicates: sum.duplicates + run.duplicates }),
    {
      sent: 0,
      delivered: 0,
      duplicates: 0,
    },
  );
}

/** Any message lost or duplicated in these runs? */
export function isLossFree(totals: DeliveryTotals): boolean {
  return totals.delivered === totals.sent && totals.duplicates === 0;
}
