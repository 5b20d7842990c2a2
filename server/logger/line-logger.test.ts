import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, LineLogger } from './line-logger.js';
import type { LineLoggerOptions } from './line-logger.js';

const T = new Date('2026-11-23T17:00:00.123Z');
const LINE_PREFIX = '2026-11-23T17:00:00.123Z';

/** Collects what the logger writes to a stream. */
class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

let dir: string;
let stdout: Capture;
let stderr: Capture;
let logger: LineLogger | undefined;

function make(options: Partial<LineLoggerOptions>): LineLogger {
  logger = new LineLogger({
    level: 'info',
    console: false,
    logfile: null,
    logMaxBytes: 0,
    logKeep: 0,
    stdout,
    stderr,
    now: () => T,
    ...options,
  });
  return logger;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'websock-log-'));
  stdout = new Capture();
  stderr = new Capture();
});

afterEach(async () => {
  await logger?.close();
  logger = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('LineLogger', () => {
  it('writes timestamped lines to the console, filtered by level', () => {
    const log = make({ console: true, level: 'warn' });
    log.debug('no');
    log.info('no');
    log.warn('careful', { ip: '::1' });
    log.error('broken');
    expect(stdout.lines).toEqual([`${LINE_PREFIX} WARN careful ip=::1`, `${LINE_PREFIX} ERROR broken`]);
    expect(stderr.text).toBe('');
  });

  it('writes to the log file and not to the console when console is off', () => {
    const path = join(dir, 'websock.log');
    const log = make({ logfile: path, level: 'debug' });
    log.debug('payload', { data: 'x' });
    log.info('started');
    expect(readFileSync(path, 'utf8')).toBe(`${LINE_PREFIX} DEBUG payload data=x\n${LINE_PREFIX} INFO started\n`);
    expect(stdout.text).toBe('');
  });

  it('writes to both when both are on', () => {
    const path = join(dir, 'websock.log');
    const log = make({ logfile: path, console: true });
    log.info('hello');
    expect(stdout.lines).toEqual([`${LINE_PREFIX} INFO hello`]);
    expect(readFileSync(path, 'utf8')).toBe(`${LINE_PREFIX} INFO hello\n`);
  });

  it('rotates the file by size', () => {
    const path = join(dir, 'websock.log');
    const log = make({ logfile: path, logMaxBytes: 200, logKeep: 2 });
    for (let i = 0; i < 20; i++) log.info('event', { n: i });
    const current = readFileSync(path, 'utf8');
    expect(current).toContain('n=19');
    expect(current.length).toBeLessThanOrEqual(200);
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/n=\d+\n$/);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it('falls back to stderr, said once, when the log file cannot be opened', () => {
    writeFileSync(join(dir, 'not-a-folder'), '');
    const path = join(dir, 'not-a-folder', 'websock.log');
    const log = make({ logfile: path });
    log.info('one');
    log.info('two');
    expect(stderr.lines).toHaveLength(3);
    // mkdir reports EEXIST for a file in the way of a folder.
    expect(stderr.lines[0]).toBe(
      `${LINE_PREFIX} ERROR log file cannot be written; logging to stderr from now on file=${path} reason=EEXIST`,
    );
    expect(stderr.lines.slice(1)).toEqual([`${LINE_PREFIX} INFO one`, `${LINE_PREFIX} INFO two`]);
  });

  it('keeps going when the log folder disappears while running', () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const path = join(logs, 'websock.log');
    const log = make({ logfile: path, logMaxBytes: 100, logKeep: 1, console: true });
    log.info('first line that is long enough to fill the file a good deal');
    rmSync(logs, { recursive: true, force: true });
    // The next line needs a rotation, which fails: the folder is gone.
    log.info('second line that is long enough to need a rotation of the file');
    log.info('third');
    expect(stdout.lines.map((l) => l.split(' ')[2])).toEqual(['first', 'second', 'third']);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toMatch(/ERROR log file cannot be written; logging to the console only from now on file=\S+ reason=ENOENT$/);
  });

  it.runIf(existsSync('/dev/full'))('survives a full disk', () => {
    const log = make({ logfile: '/dev/full' });
    log.info('lost to the disk');
    log.info('kept');
    expect(stderr.lines).toEqual([
      `${LINE_PREFIX} ERROR log file cannot be written; logging to stderr from now on file=/dev/full reason=ENOSPC`,
      `${LINE_PREFIX} INFO lost to the disk`,
      `${LINE_PREFIX} INFO kept`,
    ]);
  });

  it('stops writing after close', async () => {
    const log = make({ console: true });
    await log.close();
    log.error('after close');
    expect(stdout.text).toBe('');
  });

  it('is built from the relay configuration by createLogger', () => {
    const path = join(dir, 'websock.log');
    logger = createLogger(
      { logLevel: 'error', console: false, logfile: path, logMaxBytes: 0, logKeep: 0 },
      { stdout, stderr, now: () => T },
    );
    logger.warn('filtered');
    logger.error('kept');
    expect(readFileSync(path, 'utf8')).toBe(`${LINE_PREFIX} ERROR kept\n`);
  });
});
