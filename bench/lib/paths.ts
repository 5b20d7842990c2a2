/** Where the compiled bench scripts live, relative to this module (dist/bench/lib). */
import { fileURLToPath } from 'node:url';

function sibling(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

export const scripts = {
  pages: sibling('../load/pages.js'),
  backends: sibling('../load/backends.js'),
  httpPublishers: sibling('../load/http-publishers.js'),
  resumingPages: sibling('../load/resuming-pages.js'),
  ourRelay: sibling('../servers/our-relay.js'),
  referenceRelay: sibling('../servers/reference.js'),
} as const;

/** The repository root (dist/bench/lib → three levels up). */
export const repoRoot = sibling('../../../');

/** Where results are written by default: the source tree's bench/results. */
export const defaultResultsDir = sibling('../../../bench/results/');
