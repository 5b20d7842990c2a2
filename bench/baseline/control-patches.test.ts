/**
 * The control patches of bench/baseline, applied to the baseline's tree by
 * `--baseline HEAD --baseline-patch …` so a run prices one part of the relay
 * against the same code without it:
 * - without-hooks.patch takes every hook call site out of the delivery and
 *   connection paths (the hooks seam unused, issue #12);
 * - thin-feedback.patch makes `POST /feedback` as thin as the reference
 *   relay's handler (no auth, checks, limits, metrics or engine), so what the
 *   publish API does per request is priced apart from Node's HTTP (issue #16).
 * Each must keep applying to the tree as it is: a change that leaves a patch
 * behind fails here, not in a bench run an hour later.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const patches: { name: string; touches: string[] }[] = [
  {
    name: 'without-hooks.patch',
    touches: ['server/delivery/delivery.ts', 'server/wiring/client-admission.ts', 'server/wiring/connection-opening.ts'],
  },
  { name: 'thin-feedback.patch', touches: ['server/http/publish-api.ts'] },
];

describe.each(patches)('the control patch $name', ({ name, touches }) => {
  const patch = fileURLToPath(new URL(`./${name}`, import.meta.url));

  it('applies to this tree', async () => {
    await expect(run('git', ['apply', '--check', patch], { cwd: repoRoot })).resolves.toBeDefined();
  });

  it('touches only the files it is meant to', async () => {
    const { stdout } = await run('git', ['apply', '--numstat', patch], { cwd: repoRoot });
    const files = stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[2]);
    expect(files.sort()).toEqual([...touches].sort());
  });
});
