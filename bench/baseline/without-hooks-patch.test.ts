/**
 * bench/baseline/without-hooks.patch takes every hook call site out of the
 * delivery and connection paths, so `--baseline HEAD --baseline-patch …`
 * prices the hooks seam unused against the same code without it (issue
 * #12). The patch must keep applying to the tree as it is: a change to
 * those call sites that leaves the patch behind fails here, not in a bench
 * run an hour later.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const patch = fileURLToPath(new URL('./without-hooks.patch', import.meta.url));

describe('the without-hooks control patch', () => {
  it('applies to this tree', async () => {
    await expect(run('git', ['apply', '--check', patch], { cwd: repoRoot })).resolves.toBeDefined();
  });

  it('touches only the hook call sites of the relay, nothing else', async () => {
    const { stdout } = await run('git', ['apply', '--numstat', patch], { cwd: repoRoot });
    const files = stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[2]);
    expect(files.sort()).toEqual([
      'server/delivery/delivery.ts',
      'server/wiring/client-admission.ts',
      'server/wiring/connection-opening.ts',
    ]);
  });
});
