/**
 * A built copy of our relay at another commit, for `--baseline REF`: a
 * clean tree of that commit (`git archive`, so no worktree is registered
 * and nothing needs pruning), its dependencies (this checkout's
 * node_modules linked in when both lock files install the same packages,
 * else `npm ci --ignore-scripts`), and `tsc` for the part of dist/ the
 * bench relay imports (its own tsconfig, one entry: seconds, not the whole
 * tree's half minute). Kept under the OS's
 * temporary directory by commit hash, so a rerun starts at once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { readAbilities, type BaselineAbilities } from './abilities.js';
import { sameDependencyTree } from './dependency-tree.js';

const run = promisify(execFile);

/** Where built baselines are kept, one directory per commit hash. */
export const baselineCacheRoot = join(tmpdir(), 'websock-bench-baseline');

/** Written last into a finished build: a directory without it is not used. */
const BUILT_MARKER = 'baseline-build.json';

/** The baseline's bench relay, as source and as built: started as the runner starts ours. */
const RELAY_SOURCE = 'bench/servers/our-relay.ts';
const RELAY_ENTRY = 'dist/bench/servers/our-relay.js';

/** Written into the tree: its own compiler options, with the relay entry as the only root (tsc follows its imports). */
const ENTRY_TSCONFIG = 'tsconfig.bench-baseline.json';

const OUTPUT_LIMIT = 16 * 2 ** 20;

export interface BaselineBuild {
  /** The ref as given on the command line. */
  ref: string;
  commit: string;
  /** The commit's short hash, as the table shows it. */
  short: string;
  /** The built tree. */
  root: string;
  /** Its bench relay entry (dist/bench/servers/our-relay.js). */
  relayScript: string;
  abilities: BaselineAbilities;
}

async function git(repoRoot: string, args: string[]): Promise<string> {
  return (await run('git', args, { cwd: repoRoot, encoding: 'utf8' })).stdout.trim();
}

async function resolveCommit(repoRoot: string, ref: string): Promise<{ commit: string; short: string }> {
  try {
    const commit = await git(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return { commit, short: await git(repoRoot, ['rev-parse', '--short=7', commit]) };
  } catch {
    throw new Error(`--baseline: "${ref}" is not a commit of this repository`);
  }
}

/** The commit's files, as `git archive` gives them, into an empty directory. */
async function extractCommit(repoRoot: string, commit: string, into: string): Promise<void> {
  await run('bash', ['-c', 'set -o pipefail; git archive --format=tar "$1" | tar -x -C "$2"', 'extract', commit, into], {
    cwd: repoRoot,
    maxBuffer: OUTPUT_LIMIT,
  });
}

/** Apply a patch to the extracted tree (git apply works outside a repository too); a patch that does not apply stops the run. */
async function applyPatch(root: string, patch: string): Promise<void> {
  try {
    await run('git', ['apply', '--whitespace=nowarn', patch], { cwd: root, maxBuffer: OUTPUT_LIMIT });
  } catch (error) {
    const output = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`--baseline-patch: ${patch} does not apply to that commit:\n${output.slice(-2000)}`, { cause: error });
  }
}

/**
 * Give the tree its dependencies: a link to this checkout's node_modules
 * when both lock files install the same packages (checked on every run, as
 * this checkout's may have changed since), else its own `npm ci`.
 */
async function provideDependencies(root: string, repoRoot: string, log: (line: string) => void): Promise<void> {
  const target = join(root, 'node_modules');
  const ours = join(repoRoot, 'node_modules');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(lock)) throw new Error('--baseline: that commit has no package-lock.json to install from');
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (sameDependencyTree(readFileSync(lock, 'utf8'), readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'))) {
    if (existing?.isSymbolicLink() && readlinkSync(target) === ours) return;
    rmSync(target, { recursive: true, force: true });
    symlinkSync(ours, target, 'dir');
    log('  node_modules: the same packages as this checkout, linked to its node_modules');
    return;
  }
  // Its own install from an earlier run stays; a link to a tree that no longer matches goes.
  if (existing !== undefined && !existing.isSymbolicLink()) return;
  rmSync(target, { force: true });
  log('  node_modules: its lock file installs other packages, running npm ci --ignore-scripts …');
  await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, maxBuffer: OUTPUT_LIMIT });
}

async function buildTree(root: string): Promise<void> {
  if (!existsSync(join(root, RELAY_SOURCE))) throw new Error(`--baseline: that commit has no bench relay (${RELAY_SOURCE})`);
  writeFileSync(join(root, ENTRY_TSCONFIG), `${JSON.stringify({ extends: './tsconfig.json', files: [RELAY_SOURCE], include: [] })}\n`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', ENTRY_TSCONFIG], { cwd: root, maxBuffer: OUTPUT_LIMIT });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`--baseline: tsc failed in ${root}:\n${output.slice(-3000)}`, { cause: error });
  }
  if (!existsSync(join(root, RELAY_ENTRY))) throw new Error(`--baseline: that commit has no bench relay (${RELAY_ENTRY} was not built)`);
}

/**
 * Check out, install and build `ref` (or find it built), ready for its bench
 * relay to start. With a patch, the tree is that commit with the patch
 * applied, cached by the patch's content too, and its label says so
 * (`d326eaf+without-hooks`).
 */
export async function prepareBaseline(
  repoRoot: string,
  ref: string,
  log: (line: string) => void,
  patch: string | null = null,
): Promise<BaselineBuild> {
  const resolved = await resolveCommit(repoRoot, ref);
  const { commit } = resolved;
  let short = resolved.short;
  let root = join(baselineCacheRoot, commit);
  if (patch !== null) {
    if (!existsSync(patch)) throw new Error(`--baseline-patch: no such file ${patch}`);
    const name = basename(patch).replace(/\.(patch|diff)$/, '');
    const digest = createHash('sha256').update(readFileSync(patch)).digest('hex').slice(0, 12);
    short = `${short}+${name}`;
    root = join(baselineCacheRoot, `${commit}+${name}-${digest}`);
  }
  if (existsSync(join(root, BUILT_MARKER))) {
    log(`baseline ${short} (${ref}): built before, in ${root}`);
  } else {
    const started = Date.now();
    log(`baseline ${short} (${ref}): building in ${root}`);
    // Built beside its final place and renamed when done, so an interrupted build is never taken for a finished one.
    const partial = `${root}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    try {
      await extractCommit(repoRoot, commit, partial);
      if (patch !== null) await applyPatch(partial, patch);
      await provideDependencies(partial, repoRoot, log);
      await buildTree(partial);
      writeFileSync(join(partial, BUILT_MARKER), `${JSON.stringify({ ref, commit, patch, builtAt: new Date().toISOString() })}\n`);
      if (!existsSync(join(root, BUILT_MARKER))) {
        rmSync(root, { recursive: true, force: true });
        renameSync(partial, root);
      }
    } finally {
      // Left over when the build failed, or when another run finished the same commit first.
      rmSync(partial, { recursive: true, force: true });
    }
    log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  await provideDependencies(root, repoRoot, log);
  return { ref, commit, short, root, relayScript: join(root, RELAY_ENTRY), abilities: readAbilities(root) };
}
