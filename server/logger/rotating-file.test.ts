import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingFile } from './rotating-file.js';

let dir: string;
let file: RotatingFile | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'websock-rotate-'));
});

afterEach(() => {
  file?.close();
  file = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A 10-byte line: "<tag>" padded with dots, then a newline. */
function line(tag: string): string {
  return tag.padEnd(9, '.') + '\n';
}

describe('RotatingFile', () => {
  it('creates the folder and appends to an existing file', () => {
    const path = join(dir, 'logs', 'websock.log');
    file = new RotatingFile({ path, maxBytes: 0, keep: 2 });
    file.write(line('a'));
    file.close();
    file = new RotatingFile({ path, maxBytes: 0, keep: 2 });
    file.write(line('b'));
    expect(readFileSync(path, 'utf8')).toBe(line('a') + line('b'));
  });

  it('rotates by size and keeps the newest files', () => {
    const path = join(dir, 'websock.log');
    file = new RotatingFile({ path, maxBytes: 25, keep: 2 });
    for (const tag of ['1', '2', '3', '4', '5', '6', '7']) file.write(line(tag));
    // Two 10-byte lines fit in 25 bytes; the third starts a new file.
    expect(readFileSync(path, 'utf8')).toBe(line('7'));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(line('5') + line('6'));
    expect(readFileSync(`${path}.2`, 'utf8')).toBe(line('3') + line('4'));
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it('counts what the file held before it was opened', () => {
    const path = join(dir, 'websock.log');
    writeFileSync(path, line('old') + line('old'));
    file = new RotatingFile({ path, maxBytes: 25, keep: 1 });
    file.write(line('new'));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(line('old') + line('old'));
    expect(readFileSync(path, 'utf8')).toBe(line('new'));
  });

  it('with keep = 0 starts over without keeping old lines', () => {
    const path = join(dir, 'websock.log');
    file = new RotatingFile({ path, maxBytes: 15, keep: 0 });
    file.write(line('a'));
    file.write(line('b'));
    expect(readFileSync(path, 'utf8')).toBe(line('b'));
    expect(existsSync(`${path}.1`)).toBe(false);
  });

  it('writes a line longer than maxBytes to a file of its own', () => {
    const path = join(dir, 'websock.log');
    file = new RotatingFile({ path, maxBytes: 5, keep: 3 });
    file.write(line('a'));
    file.write(line('b'));
    expect(readFileSync(path, 'utf8')).toBe(line('b'));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(line('a'));
  });

  it('starts a new file at the next rotation when the current one was deleted', () => {
    const path = join(dir, 'websock.log');
    file = new RotatingFile({ path, maxBytes: 25, keep: 2 });
    file.write(line('a'));
    file.write(line('b'));
    // An operator freeing disk space: the open descriptor keeps writing to the deleted file until the rotation.
    rmSync(path);
    file.write(line('c'));
    file.write(line('d'));
    expect(readFileSync(path, 'utf8')).toBe(line('c') + line('d'));
  });
});
