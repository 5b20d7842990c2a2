/**
 * Whether two package-lock.json files install the same node_modules: the
 * same lockfile version and the same entry for every installed package.
 * The root package's own entry (its name, version, bin, declared ranges) is
 * left out: it changes with the project, not with what gets installed, and
 * any new or changed dependency shows as an entry of its own.
 */
interface LockFile {
  lockfileVersion?: number;
  packages?: Record<string, unknown>;
}

function installedPackages(lock: LockFile): Record<string, unknown> | null {
  if (lock.packages === undefined) return null;
  const { '': _root, ...installed } = lock.packages;
  return installed;
}

/** Canonical JSON (keys sorted), so key order in the files does not matter. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when both lock files (as text) install the same packages; false when either lacks a `packages` map (lockfile v1). */
export function sameDependencyTree(lockText: string, otherLockText: string): boolean {
  const lock = JSON.parse(lockText) as LockFile;
  const other = JSON.parse(otherLockText) as LockFile;
  const installed = installedPackages(lock);
  const otherInstalled = installedPackages(other);
  if (installed === null || otherInstalled === null) return false;
  return lock.lockfileVersion === other.lockfileVersion && canonical(installed) === canonical(otherInstalled);
}
