/**
 * Makes sure dist/ (and the browser bundles) are built before suites that
 * run built files: the CLI, the demo job, php2php, the bench, Chromium.
 * `npm test` builds before vitest starts, so normally this finds everything
 * fresh and does nothing; it rebuilds only when a source is newer than the
 * build, under a lock, so that parallel suites never rebuild at once or read
 * half-written files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = join(root, 'test-artifacts');

const SOURCE_DIRS = ['server', 'clients', 'include', 'php2php', 'bench', 'webClient/src', 'webClient/demo', 'webClient/novosga'];
/** One output of each build step; each is rewritten on every build. */
const OUTPUTS = [
  'dist/clients/cli/websock.js',
  'dist/clients/demo/demo-job.js',
  'dist/bench/run.js',
  'webClient/dist/socketWebClient.js',
  'webClient/novosga/dist/panel.js',
];

/** Build unless the build is newer than every source. */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  mkdirSync(artifacts, { recursive: true });
  const lock = join(artifacts, '.build.lock');
  await acquireLock(lock);
  try {
    // Another suite may have built while we waited.
    if (isStale()) await buildProject();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isStale(): boolean {
  let oldestOutput = Infinity;
  for (const output of OUTPUTS) {
    const path = join(root, output);
    if (!existsSync(path)) return true;
    oldestOutput = Math.min(oldestOutput, statSync(path).mtimeMs);
  }
  return newestSource() > oldestOutput;
}

function newestSource(): number {
  let newest = 0;
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue;
      if (!/\.(ts|mjs|html|css)$/.test(entry.name)) continue;
      // webClient/novosga/dist/ holds built pages beside their sources.
      if (/[\\/]dist([\\/]|$)/.test(entry.parentPath.slice(root.length))) continue;
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
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
    const age = Date.now() - (existsSync(lock) ? statSync(lock).mtimeMs : Date.now());
    if (age > 300_000) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`could not take the build lock ${lock}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
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
