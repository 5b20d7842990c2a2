/** The results as a markdown table: ours, reference, ratio and target per metric. */
import { BASELINE_CPU_BOUND, BASELINE_SHARE } from '../baseline/targets.js';
import type { MetricComparison } from './compare.js';
import type { BenchResults, ScenarioOutcome } from './results.js';

function formatNumber(value: number | null, decimals: number): string {
  if (value === null) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** The verdict cell: met / MISSED, or "within noise" when the pairs of runs disagree, with how many met. */
function verdictCell(metric: MetricComparison): string {
  if (metric.verdict === null) return '';
  const count = metric.runsJudged > 1 ? ` (${metric.runsMet}/${metric.runsJudged} runs)` : '';
  switch (metric.verdict) {
    case 'met':
      return `met${count}`;
    case 'missed':
      return `**MISSED**${count}`;
    case 'noise':
      return `within noise: ${metric.runsMet}/${metric.runsJudged} runs met, median ${metric.met ? 'met' : 'missed'}`;
  }
}

/** The ratio of the medians, then the spread of the per-pair ratios when there are several. */
function ratioCell(metric: MetricComparison): string {
  const ratio = formatNumber(metric.ratio, 2);
  if (metric.runRatios.length < 2) return ratio;
  const low = Math.min(...metric.runRatios);
  const high = Math.max(...metric.runRatios);
  return `${ratio} (${formatNumber(low, 2)}–${formatNumber(high, 2)})`;
}

type Totals = { sent: number; delivered: number; duplicates: number };

function deliveryRow(outcome: ScenarioOutcome): string {
  const ran = (relay: 'ours' | 'reference'): boolean => outcome.runs[relay].length > 0;
  const cell = (relay: 'ours' | 'reference'): string => {
    if (!ran(relay)) return '–';
    const totals: Totals = outcome.totals[relay];
    return `${totals.delivered.toLocaleString('en-US')}/${totals.sent.toLocaleString('en-US')}${totals.duplicates > 0 ? ` (+${totals.duplicates} dup)` : ''}`;
  };
  const lossFree = (totals: Totals): boolean => totals.delivered === totals.sent && totals.duplicates === 0;
  const ok = lossFree(outcome.totals.ours) && lossFree(outcome.totals.reference);
  const title = outcome.sides ? `${outcome.title} (Ours = ${outcome.sides.ours}, Reference = ${outcome.sides.reference})` : outcome.title;
  return `| ${title} | delivered/sent | ${cell('ours')} | ${cell('reference')} |  | no loss | ${ok ? 'met' : '**LOSS**'} |`;
}

export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results (${results.mode})`);
  lines.push('');
  lines.push(
    `${results.date} · commit ${results.commit}${results.baseline ? ` vs baseline ${results.baseline.short} (${results.baseline.ref})` : ''} · Node ${results.node} · ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryMiB} MiB · ` +
      `median of ${results.repeat} run${results.repeat === 1 ? '' : 's'} per relay · ${Math.round(results.durationSeconds)} s · ` +
      `load average ${results.loadAverage.start} → ${results.loadAverage.end}`,
  );
  lines.push('');
  lines.push(
    'Ratio = ours / reference of the medians; in brackets, the lowest and highest ratio of the interleaved pairs of runs (ours and the reference run back to back, alternating who goes first). ' +
      'A verdict holds only when every pair agrees with the medians; otherwise it reads "within noise". ' +
      (results.baseline
        ? `The reference is our own relay at commit ${results.baseline.commit} (\`--baseline ${results.baseline.ref}\`), built from a clean tree of that commit and started by its own bench/servers/our-relay.ts; the load generators are this checkout's. ` +
          `Targets: every throughput ≥ ${BASELINE_SHARE}×, every CPU per delivery or request ≤ 1/${BASELINE_SHARE} (${BASELINE_CPU_BOUND}×); a scenario that commit cannot run is skipped with the reason.`
        : 'The reference is the thinnest relay on `ws` (bench/reference-relay.ts), run side by side on the same machine.'),
  );
  if (results.ourRelayChanges) {
    lines.push('');
    lines.push(
      `**Not the defaults**: our relay ran with ${JSON.stringify(results.ourRelayChanges.settings)} and node flags ${JSON.stringify(results.ourRelayChanges.nodeFlags)}.`,
    );
  }
  if (results.loadAverage.start > results.machine.cpus || results.loadAverage.end > results.machine.cpus) {
    lines.push('');
    lines.push(
      `The machine was shared and busy (load average above its ${results.machine.cpus} cores): wall-clock figures (throughput, latency) are noisy; ` +
        'CPU per delivery and memory are the steadier measures.',
    );
  }
  lines.push('');
  lines.push('| Scenario | Metric | Ours | Reference | Ours/Ref | Target | |');
  lines.push('|---|---|--:|--:|--:|---|---|');
  for (const outcome of results.scenarios) {
    if (outcome.status === 'skipped') {
      lines.push(`| ${outcome.title} | *skipped* |  |  |  |  | ${outcome.notes.join('; ')} |`);
      continue;
    }
    if (outcome.status === 'failed') {
      lines.push(`| ${outcome.title} | ***FAILED*** |  |  |  |  | see notes |`);
    }
    lines.push(deliveryRow(outcome));
    for (const metric of outcome.comparison) {
      lines.push(
        `| ${outcome.title} | ${metric.label} | ${formatNumber(metric.ours, metric.decimals)} | ${formatNumber(metric.reference, metric.decimals)} | ` +
          `${ratioCell(metric)} | ${metric.target ?? ''} | ${verdictCell(metric)} |`,
      );
    }
  }
  lines.push('');
  lines.push('Loads:');
  lines.push('');
  for (const outcome of results.scenarios) lines.push(`- **${outcome.title}**: ${outcome.load}`);
  const notes = results.scenarios.filter((outcome) => outcome.status !== 'skipped' && outcome.notes.length > 0);
  if (notes.length > 0) {
    lines.push('');
    lines.push('Notes:');
    lines.push('');
    for (const outcome of notes) for (const note of outcome.notes) lines.push(`- ${outcome.title}: ${note.split('\n')[0]}`);
  }
  lines.push('');
  return lines.join('\n');
}
