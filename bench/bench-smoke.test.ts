/**
 * Smoke test of the benchmark suite: the quick run end to end, against both
 * relays. It fails on any lost or duplicated message or failed scenario,
 * never on speed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults } from './lib/results.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runScript = join(root, 'dist', 'bench', 'run.js');
const QUICK_RUN_TIMEOUT_MS = 170_000;

/** Newest modification time of the .ts files the bench is compiled from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

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
    // `npm test` builds first; when this file runs alone, build a stale or missing dist.
    const sources = Math.max(...['bench', 'server', 'include'].map((dir) => newestSource(join(root, dir))));
    if (!existsSync(runScript) || statSync(runScript).mtimeMs < sources) {
      const tsc = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], 120_000);
      const built = await tsc.done;
      if (!existsSync(runScript)) throw new Error(`build failed:\n${built.output}`);
    }
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
          'large-1MiB',
          'fan-out',
          'idle',
          'latency',
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
