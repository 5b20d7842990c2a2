/**
 * Smoke test of the benchmark suite: a few scenarios at tiny sizes
 * (`--tiny`), against both relays and both kinds of side-by-side scenario,
 * end to end. It checks that the bench runs and loses nothing, never its
 * numbers (those come from `npm run bench`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../test/helpers/build-once.js';
import type { BenchResults } from './lib/results.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runScript = join(root, 'dist', 'bench', 'run.js');
// A guard against a hung run, not a verdict on speed.
const QUICK_RUN_TIMEOUT_MS = 240_000;
/** One of each kind: WebSocket backends, HTTP publishers, broadcast, large, h2 pages, a hooks side-by-side, two nodes on Redis, the resume storm. */
const SMOKE_SCENARIOS = [
  'v1-stop-and-wait',
  'http-batch',
  'fan-out',
  'large-1MiB',
  'h2-pages',
  'hooks-fan-out',
  'cross-node-v1-stop-and-wait',
  'resume-storm',
];
/**
 * Baseline mode against this very commit: a clean tree, linked node_modules
 * and a one-entry tsc build (about 8 s the first time, cached after), then
 * WebSocket backends and HTTP publishers without a secret against it (this
 * commit's bench relay takes publishSecret; one from before the hooks work
 * does not, and that scenario would be skipped).
 */
const BASELINE_SCENARIOS = ['v1-stop-and-wait', 'http-publish'];
const BASELINE_RUN_TIMEOUT_MS = 120_000;

function run(
  command: string,
  args: string[],
  timeoutMs: number,
): { child: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  return { child, done };
}

describe('bench --tiny', () => {
  let outDir: string;
  let running: ChildProcess | null = null;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    await ensureBuilt();
  }, 130_000);

  afterAll(() => {
    running?.kill('SIGKILL');
    rmSync(outDir, { recursive: true, force: true });
  });

  it(
    'runs a few scenarios against both relays without losing a message',
    async () => {
      const quick = run(
        process.execPath,
        [runScript, '--tiny', '--only', SMOKE_SCENARIOS.join(','), '--out', outDir],
        QUICK_RUN_TIMEOUT_MS,
      );
      running = quick.child;
      const { code, output } = await quick.done;
      running = null;
      expect(code, output.slice(-4000)).toBe(0);

      const results = JSON.parse(readFileSync(join(outDir, 'quick.json'), 'utf8')) as BenchResults;
      expect(results.passed).toBe(true);
      const ran = results.scenarios.filter((scenario) => scenario.status !== 'skipped');
      expect(ran.map((scenario) => scenario.name).sort()).toEqual([...SMOKE_SCENARIOS].sort());
      for (const scenario of ran) {
        expect(scenario.status, `${scenario.name}: ${scenario.notes.join('; ')}`).toBe('ok');
        for (const relay of ['ours', 'reference'] as const) {
          expect(scenario.runs[relay].length, `${scenario.name} ran against ${relay}`).toBeGreaterThan(0);
          const totals = scenario.totals[relay];
          expect(totals.sent, `${scenario.name} [${relay}] sent something`).toBeGreaterThan(0);
          expect({ scenario: scenario.name, relay, lost: totals.sent - totals.delivered, duplicates: totals.duplicates }).toEqual({
            scenario: scenario.name,
            relay,
            lost: 0,
            duplicates: 0,
          });
        }
      }
      expect(readFileSync(join(outDir, 'quick.md'), 'utf8')).toContain('| Scenario | Metric | Ours | Reference | Ours/Ref |');
    },
    QUICK_RUN_TIMEOUT_MS + 10_000,
  );

  it(
    '--baseline HEAD~0 builds this commit apart and runs it in the Reference column',
    async () => {
      const baseline = run(
        process.execPath,
        [runScript, '--tiny', '--baseline', 'HEAD~0', '--only', BASELINE_SCENARIOS.join(','), '--out', outDir],
        BASELINE_RUN_TIMEOUT_MS,
      );
      running = baseline.child;
      const { code, output } = await baseline.done;
      running = null;
      expect(code, output.slice(-4000)).toBe(0);

      const short = output.match(/relays: ours vs ours @([0-9a-f]{7,})/)?.[1];
      expect(short, output.slice(0, 2000)).toBeDefined();
      const results = JSON.parse(readFileSync(join(outDir, `baseline-${short}-quick.json`), 'utf8')) as BenchResults;
      expect(results.passed).toBe(true);
      expect(results.baseline?.short).toBe(short);
      expect(results.relays).toEqual(['ours', `ours @${short}`]);
      for (const scenario of results.scenarios) {
        expect(scenario.status, `${scenario.name}: ${scenario.notes.join('; ')}`).toBe('ok');
        expect(scenario.sides).toEqual({ ours: 'ours', reference: `ours @${short}` });
        expect(scenario.totals.reference.sent, `${scenario.name} ran on the baseline`).toBeGreaterThan(0);
        expect(scenario.totals.reference.delivered).toBe(scenario.totals.reference.sent);
        const throughput = scenario.comparison.find((metric) => metric.key === 'throughput');
        expect(throughput?.target).toBe('≥ 0.98×');
      }
    },
    BASELINE_RUN_TIMEOUT_MS + 10_000,
  );
});
