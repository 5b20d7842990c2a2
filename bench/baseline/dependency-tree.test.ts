import { describe, expect, it } from 'vitest';
import { sameDependencyTree } from './dependency-tree.js';

const lock = (root: object, installed: object, lockfileVersion = 3): string =>
  JSON.stringify({ name: 'websock-relay', lockfileVersion, packages: { '': root, ...installed } });

const ws = { 'node_modules/ws': { version: '8.23.0', resolved: 'ws-8.23.0.tgz', integrity: 'sha512-a' } };

describe('sameDependencyTree', () => {
  it("ignores the root package's own entry (a changed bin or version installs nothing else)", () => {
    expect(
      sameDependencyTree(
        lock({ bin: { websock: 'dist/server/cli.js' } }, ws),
        lock({ bin: { websock: 'dist/clients/cli/websock.js' } }, ws),
      ),
    ).toBe(true);
  });

  it('does not care about key order', () => {
    const reordered = { 'node_modules/ws': { integrity: 'sha512-a', version: '8.23.0', resolved: 'ws-8.23.0.tgz' } };
    expect(sameDependencyTree(lock({}, ws), lock({}, reordered))).toBe(true);
  });

  it('sees an added, removed or changed package and another lockfile version', () => {
    const more = { ...ws, 'node_modules/ini': { version: '6.0.0' } };
    expect(sameDependencyTree(lock({}, ws), lock({}, more))).toBe(false);
    expect(sameDependencyTree(lock({}, more), lock({}, ws))).toBe(false);
    expect(sameDependencyTree(lock({}, ws), lock({}, { 'node_modules/ws': { ...ws['node_modules/ws'], version: '8.24.0' } }))).toBe(false);
    expect(sameDependencyTree(lock({}, ws, 2), lock({}, ws, 3))).toBe(false);
  });

  it('never takes a lockfile v1 (no packages map) for the same tree', () => {
    const v1 = JSON.stringify({ lockfileVersion: 1, dependencies: {} });
    expect(sameDependencyTree(v1, v1)).toBe(false);
  });
});
