/**
 * Which websock.ini `websock serve` reads when no `-i` is given: the one in
 * the current folder (as the original did), else the one shipped at the
 * package root, else none (embedded defaults).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INI_FILE_NAME = 'websock.ini';
const PACKAGE_NAME = 'websock-relay';

/**
 * The folder holding this package's package.json, found by walking up from
 * a module URL (works from server/ in the sources and dist/server/ when built).
 */
export function findPackageRoot(fromUrl: string = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // An unreadable or foreign package.json: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The ini file to use by default, or undefined for embedded defaults only. */
export function defaultIniFile(cwd: string = process.cwd(), packageRoot: string | null = findPackageRoot() ?? null): string | undefined {
  const local = join(cwd, INI_FILE_NAME);
  if (existsSync(local)) return local;
  if (packageRoot !== null) {
    const shipped = join(packageRoot, INI_FILE_NAME);
    if (existsSync(shipped)) return shipped;
  }
  return undefined;
}
