import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the demo's files are. This module runs compiled
 * (dist/server/demo/) or from source under vitest (server/demo/), so the
 * project root is found by walking up to the folder holding webClient/.
 */
export function demoPaths(): { root: string; pageDir: string; jobScript: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  let root = here;
  for (let up = 0; up < 5 && !isRoot(root); up++) root = dirname(root);
  return {
    root,
    /** The built page and client files (webClient/build.mjs writes them). */
    pageDir: join(root, 'webClient', 'dist'),
    /** The compiled job script (clients/demo/demo-job.ts): a backend like any site's, run as its own process. */
    jobScript: join(root, 'dist', 'clients', 'demo', 'demo-job.js'),
  };
}

function isRoot(dir: string): boolean {
  return existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'webClient'));
}
