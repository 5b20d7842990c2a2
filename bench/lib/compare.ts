/**
 * Turning repeated runs into the comparison the issue asks for: the median
 * of each metric per relay, the ratio ours/reference, and whether the
 * target is met. Pure, so it is unit-tested without running anything.
 */
import type { MetricSpec, RunResult } from '../scenarios/scenario.js';

export interface MetricComparison {
  key: string;
  label: string;
  decimals: number;
  ours: number | null;
  reference: number | null;
  /** ours / reference, null when either is missing or the reference is 0. */
  ratio: number | null;
  /** The target as it reads in the table, null when the metric has none. */
  target: string | null;
  /** null when there is no target or nothing to judge it on. */
  met: boolean | null;
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

export function compareMetric(spec: MetricSpec, ours: readonly RunResult[], reference: readonly RunResult[]): MetricComparison {
  const oursValue = median(ours.map((run) => run.metrics[spec.key] ?? Number.NaN));
  const referenceValue = median(reference.map((run) => run.metrics[spec.key] ?? Number.NaN));
  const ratio = oursValue !== null && referenceValue !== null && referenceValue !== 0 ? oursValue / referenceValue : null;
  const targets: string[] = [];
  let met: boolean | null = null;
  const judge = (ok: boolean): void => {
    met = (met ?? true) && ok;
  };
  if (spec.ratioTarget) {
    targets.push(`${opText[spec.ratioTarget.op]} ${spec.ratioTarget.value}×`);
    if (ratio !== null) judge(holds(spec.ratioTarget.op, ratio, spec.ratioTarget.value));
  }
  if (spec.absoluteTarget) {
    targets.push(spec.absoluteTarget.label);
    if (oursValue !== null) judge(holds(spec.absoluteTarget.op, oursValue, spec.absoluteTarget.value));
  }
  return {
    key: spec.key,
    label: spec.label,
    decimals: spec.decimals,
    ours: oursValue,
    reference: referenceValue,
    ratio,
    target: targets.length > 0 ? targets.join(', ') : null,
    met,
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
