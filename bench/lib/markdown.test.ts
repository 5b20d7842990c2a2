import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.js';
import type { MetricComparison } from './compare.js';
import type { BenchResults, ScenarioOutcome } from './results.js';

const base: Omit<BenchResults, 'scenarios'> = {
  mode: 'full',
  date: '2026-01-01T00:00:00.000Z',
  commit: 'abc1234',
  node: 'v20.0.0',
  machine: { cpuModel: 'CPU', cpus: 2, memoryMiB: 1024, kernel: '6.1' },
  repeat: 3,
  relays: ['ours', 'reference'],
  durationSeconds: 100,
  loadAverage: { start: 0.5, end: 0.7 },
  passed: true,
};

const run = (throughput: number, delivered = 10) => ({ sent: 10, delivered, duplicates: 0, metrics: { throughput } });

function comparison(overrides: Partial<MetricComparison>): MetricComparison {
  return {
    key: 'throughput',
    label: 'throughput (msg/s)',
    decimals: 0,
    ours: 90,
    reference: 100,
    ratio: 0.9,
    runRatios: [],
    oursRange: null,
    referenceRange: null,
    target: '≥ 0.8×',
    met: true,
    runsJudged: 1,
    runsMet: 1,
    verdict: 'met',
    ...overrides,
  };
}

function outcome(overrides: Partial<ScenarioOutcome>): ScenarioOutcome {
  return {
    name: 's',
    title: 'scenario',
    load: 'some load',
    status: 'ok',
    notes: [],
    runs: { ours: [run(90)], reference: [run(100)] },
    totals: { ours: { sent: 10, delivered: 10, duplicates: 0 }, reference: { sent: 10, delivered: 10, duplicates: 0 } },
    comparison: [comparison({ ours: 90, reference: 100, ratio: 0.9, met: true, verdict: 'met', runsJudged: 1, runsMet: 1 })],
    ...overrides,
  };
}

describe('renderMarkdown', () => {
  it('has a row per metric with ours, reference, ratio, target and verdict, plus the delivery row', () => {
    const text = renderMarkdown({ ...base, scenarios: [outcome({})] });
    expect(text).toContain('| scenario | throughput (msg/s) | 90 | 100 | 0.90 | ≥ 0.8× | met |');
    expect(text).toContain('| scenario | delivered/sent | 10/10 | 10/10 |  | no loss | met |');
    expect(text).not.toContain('shared and busy');
  });

  it('flags misses, loss, skipped scenarios and a busy machine', () => {
    const missed = outcome({
      title: 'lossy',
      totals: { ours: { sent: 10, delivered: 9, duplicates: 0 }, reference: { sent: 10, delivered: 10, duplicates: 0 } },
      comparison: [comparison({ ours: 50, reference: 100, ratio: 0.5, met: false, verdict: 'missed', runsJudged: 1, runsMet: 0 })],
    });
    const skipped = outcome({ title: 'later', status: 'skipped', notes: ['TODO: not yet'] });
    const text = renderMarkdown({ ...base, loadAverage: { start: 9, end: 3 }, scenarios: [missed, skipped] });
    expect(text).toContain('| lossy | delivered/sent | 9/10 | 10/10 |  | no loss | **LOSS** |');
    expect(text).toContain('| lossy | throughput (msg/s) | 50 | 100 | 0.50 | ≥ 0.8× | **MISSED** |');
    expect(text).toContain('| later | *skipped* |  |  |  |  | TODO: not yet |');
    expect(text).toContain('shared and busy');
  });

  it('shows the spread of the pairs and says "within noise" when they disagree', () => {
    const noisy = outcome({
      title: 'noisy',
      comparison: [
        comparison({ ratio: 0.82, runRatios: [0.7, 0.82, 0.95], met: true, verdict: 'noise', runsJudged: 3, runsMet: 2 }),
        comparison({ label: 'steady', ratio: 0.9, runRatios: [0.88, 0.9, 0.93], met: true, verdict: 'met', runsJudged: 3, runsMet: 3 }),
      ],
    });
    const text = renderMarkdown({ ...base, scenarios: [noisy] });
    expect(text).toContain(
      '| noisy | throughput (msg/s) | 90 | 100 | 0.82 (0.70–0.95) | ≥ 0.8× | within noise: 2/3 runs met, median met |',
    );
    expect(text).toContain('| noisy | steady | 90 | 100 | 0.90 (0.88–0.93) | ≥ 0.8× | met (3/3 runs) |');
  });

  it('with a baseline, says which commit the Reference column is and shows what it could not run', () => {
    const abilities = { processConfigFields: ['maxRunMs'], configKeys: [], requests: [], benchPublishSecret: null, servesPusherApp: false };
    const text = renderMarkdown({
      ...base,
      relays: ['ours', 'ours @544b117'],
      baseline: { ref: 'HEAD~9', commit: '544b11732c217fcab96798530a8564670bddf04c', short: '544b117', abilities },
      scenarios: [
        outcome({ title: 'fan', sides: { ours: 'ours', reference: 'ours @544b117' } }),
        outcome({ title: 'h2', status: 'skipped', notes: ['not comparable with ours @544b117: its bench relay takes no settings'] }),
      ],
    });
    expect(text).toContain('commit abc1234 vs baseline 544b117 (HEAD~9)');
    expect(text).toContain('The reference is our own relay at commit 544b11732c217fcab96798530a8564670bddf04c (`--baseline HEAD~9`)');
    expect(text).not.toContain('thinnest relay');
    expect(text).toContain('| fan (Ours = ours, Reference = ours @544b117) | delivered/sent |');
    expect(text).toContain('| h2 | *skipped* |  |  |  |  | not comparable with ours @544b117: its bench relay takes no settings |');
  });
});
