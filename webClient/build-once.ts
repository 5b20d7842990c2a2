/**
 * Builds the project once per vitest run for the test suites that need dist/
 * (browser tests, CLI, php2php). Test-only code.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const artifacts = join(root, 'test-artifacts');

/**
 * `npm run build` (client bundles, demo page, dist/server/demo/demo-job.js),
 * once per vitest run: the browser test files run in parallel workers that
 * share dist/, so they take a lock and the second one finds the build done.
 */
export async function buildOnce(): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  const lock = join(artifacts, '.build.lock');
  const marker = join(artifacts, '.built-for-run');
  // Workers of one run share the vitest parent process (pool 'forks') or are it ('threads').
  const run = `${process.ppid}`;
  await acquireLock(lock);
  try {
    if (readText(marker) === run) return;
    await buildProject();
    writeFileSync(marker, run);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function acquireLock(lock: string): Promise<void> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // A lock left by a killed run is older than any build takes.
    if (Date.now() - (statSafe(lock) ?? Date.now()) > 300_000) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`could not take the build lock ${lock}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function statSafe(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function buildProject(): Promise<void> {
  try {
    await promisify(execFile)('npm', ['run', 'build'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}
