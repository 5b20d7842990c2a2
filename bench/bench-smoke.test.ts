/**
 * Smoke test of the benchmark suite: the quick run end to end, against both
 * relays. It fails on any lost or duplicated message or failed scenario,
 * never on speed.
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
const QUICK_RUN_TIMEOUT_MS = 170_000;

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

describe('bench --quick', () => {
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
    'runs every scenario against both relays without losing a message',
    async () => {
      const quick = run(process.execPath, [runScript, '--quick', '--out', outDir], QUICK_RUN_TIMEOUT_MS);
      running = quick.child;
      const { code, output } = await quick.done;
      running = null;
      expect(code, output.slice(-4000)).toBe(0);

      const results = JSON.parse(readFileSync(join(outDir, 'quick.json'), 'utf8')) as BenchResults;
      expect(results.passed).toBe(true);
      const ran = results.scenarios.filter((scenario) => scenario.status !== 'skipped');
      expect(ran.map((scenario) => scenario.name)).toEqual(
        expect.arrayContaining([
          'v1-stop-and-wait',
          'v2-pipelined',
          'v2-max-rate',
          'http-publish',
          'http-batch',
          'large-1MiB',
          'fan-out',
          'idle',
          'latency',
          'v2-pages-memory',
        ]),
      );
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
});
