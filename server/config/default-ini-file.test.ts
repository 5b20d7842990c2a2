import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultIniFile, findPackageRoot } from './default-ini-file.js';

let cwd: string;
let root: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'websock-cwd-'));
  root = mkdtempSync(join(tmpdir(), 'websock-root-'));
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

describe('defaultIniFile', () => {
  it('prefers websock.ini in the working folder', () => {
    writeFileSync(join(cwd, 'websock.ini'), '');
    writeFileSync(join(root, 'websock.ini'), '');
    expect(defaultIniFile(cwd, root)).toBe(join(cwd, 'websock.ini'));
  });

  it('falls back to the package root, then to none', () => {
    writeFileSync(join(root, 'websock.ini'), '');
    expect(defaultIniFile(cwd, root)).toBe(join(root, 'websock.ini'));
    rmSync(join(root, 'websock.ini'));
    expect(defaultIniFile(cwd, root)).toBeUndefined();
    expect(defaultIniFile(cwd, null)).toBeUndefined();
  });
});

describe('findPackageRoot', () => {
  it('finds the folder of this package from a module inside it', () => {
    const found = findPackageRoot(import.meta.url);
    expect(found).toBeDefined();
    expect(existsSync(join(found!, 'server', 'config', 'default-ini-file.ts'))).toBe(true);
  });

  it('returns undefined outside the package', () => {
    writeFileSync(join(root, 'package.json'), '{"name":"something-else"}');
    expect(findPackageRoot(new URL(`file://${join(root, 'a.js')}`).href)).toBeUndefined();
  });
});
