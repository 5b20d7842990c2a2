/**
 * End to end: the built `websock` bin, spawned as users run it, on port 0.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureBuilt } from '../test/helpers/build-once.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'clients', 'cli', 'websock.js');
const WAIT_MS = 10_000;

/** A spawned cli with everything it printed so far. */
interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

let dir: string;
const runs: Run[] = [];
const sockets: (WebSocket | Socket)[] = [];
let blocker: Server | undefined;

function start(args: string[], cwd = dir): Run {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'pipe' });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  runs.push(run);
  return run;
}

/** Resolve with the first match of `pattern` in the run's stdout; reject on exit or timeout. */
function waitForOutput(run: Run, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`timed out waiting for ${pattern}; stdout: ${run.stdout} stderr: ${run.stderr}`)),
      WAIT_MS,
    );
    function check(): void {
      const match = pattern.exec(run.stdout);
      if (match) finish(null, match);
    }
    function onExit(code: number | null): void {
      check();
      finish(new Error(`exited with ${code} before ${pattern}; stdout: ${run.stdout} stderr: ${run.stderr}`));
    }
    function finish(error: Error | null, match?: RegExpExecArray): void {
      clearTimeout(timer);
      run.child.stdout.off('data', check);
      run.child.off('exit', onExit);
      if (match) resolve(match);
      else reject(error);
    }
    run.child.stdout.on('data', check);
    run.child.once('exit', onExit);
    setImmediate(check);
  });
}

function waitForExit(run: Run): Promise<number | null> {
  return Promise.race([
    run.exit,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${WAIT_MS} ms`)), WAIT_MS).unref()),
  ]);
}

/** Start the relay and return its port, read from the ready line. */
async function startRelay(args: string[], cwd = dir): Promise<{ run: Run; port: number }> {
  const run = start(args, cwd);
  const match = await waitForOutput(run, /^websock: relay listening on ws:\/\/127\.0\.0\.1:(\d+)\//m);
  return { run, port: Number(match[1]) };
}

function ini(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

function expectOneLineNoStack(stderr: string): void {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'websock-serve-'));
  await ensureBuilt();
}, 120_000);

afterEach(async () => {
  for (const socket of sockets.splice(0)) {
    if (socket instanceof WebSocket) socket.terminate();
    else socket.destroy();
  }
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exit;
    }
  }
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('websock serve', () => {
  it('stops on a bad value with one line on stderr and exit code 2', async () => {
    const file = ini('bad.ini', 'adress = ws://127.0.0.1:0\nmaxClients = -5\n');
    const run = start(['serve', '-i', file]);
    expect(await waitForExit(run)).toBe(2);
    expect(run.stderr).toBe(`websock: ${file}: maxClients = "-5": expected a whole number >= 0 (0 = no limit)\n`);
    expectOneLineNoStack(run.stderr);
    expect(run.stdout).toBe('');
  });

  it('stops on a TLS address without a certificate, and on a bad flag', async () => {
    const tls = start(['serve', '-i', ini('empty.ini', ''), '--adress', 'wss://127.0.0.1:0']);
    expect(await waitForExit(tls)).toBe(2);
    expect(tls.stderr).toBe(
      'websock: command line: --adress "wss://127.0.0.1:0": wss:// is TLS and needs certFile and pkFile (PEM files); certFile and pkFile not set\n',
    );
    const level = start(['serve', '-i', join(dir, 'empty.ini'), '--log-level', 'chatty']);
    expect(await waitForExit(level)).toBe(2);
    expectOneLineNoStack(level.stderr);
  });

  it('serves from an ini file given the original way, and on SIGTERM closes clients with 1001 and exits 0', async () => {
    const logfile = join(dir, 'logs', 'websock.log');
    const file = ini('good.ini', 'adress = ws://127.0.0.1:8080\ndemo = false\nconsole = false\nshutdownGrace = 2\n');
    // The PHP server's spelling: single-dash long flags, flags overriding the file.
    const { run, port } = await startRelay(['-i', file, '-adress', 'ws://127.0.0.1:0', '-logfile', logfile, '-console']);
    expect(run.stdout).not.toContain('Demo page');

    const ws = new WebSocket(`ws://127.0.0.1:${port}/web`);
    sockets.push(ws);
    const ready = await new Promise<{ opcode: string; uuid: string }>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data)) as { opcode: string; uuid: string }));
      ws.once('error', reject);
    });
    expect(ready.opcode).toBe('ready');
    expect(typeof ready.uuid).toBe('string');

    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    run.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await waitForExit(run)).toBe(0);
    expect(run.stderr).toBe('');
    // -console: the log went to stdout as well as to the file.
    expect(run.stdout).toMatch(/^\S+Z INFO shutting down: closing clients signal=SIGTERM$/m);
    const log = readFileSync(logfile, 'utf8');
    expect(log).toMatch(/^\S+Z INFO relay listening address=ws:\/\/127\.0\.0\.1:\d+\/ tls=false http2=false$/m);
    expect(log).toMatch(/^\S+Z INFO client connected /m);
    expect(log).toMatch(/^\S+Z INFO exiting code=0$/m);
  });

  it('reads websock.ini from the working folder by default and prints the demo page address', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(cwd, 'websock.ini'), 'adress = ws://127.0.0.1:0\ndemo = true\n');
    const { run, port } = await startRelay(['serve'], cwd);
    await waitForOutput(run, new RegExp(`^Demo page: http://127\\.0\\.0\\.1:${port}/$`, 'm'));
    run.child.kill('SIGINT');
    expect(await waitForExit(run)).toBe(0);
  });

  it('says in one line that the port is taken, and exits 1', async () => {
    blocker = createServer();
    const taken = await new Promise<number>((resolve) =>
      blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)),
    );
    const run = start(['serve', '-i', ini('taken.ini', 'demo = false\n'), '--adress', `ws://127.0.0.1:${taken}`]);
    expect(await waitForExit(run)).toBe(1);
    expect(run.stderr).toBe(
      `websock: cannot listen on ws://127.0.0.1:${taken}: the port is already in use; stop the other server or choose another port in adress (EADDRINUSE)\n`,
    );
  });

  it('says it once with --console too, and in the log file', async () => {
    blocker = createServer();
    const taken = await new Promise<number>((resolve) =>
      blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)),
    );
    const log = join(dir, 'taken.log');
    const run = start([
      'serve',
      '-i',
      ini('taken-console.ini', 'demo = false\n'),
      '--adress',
      `ws://127.0.0.1:${taken}`,
      '--console',
      '--logfile',
      log,
    ]);
    expect(await waitForExit(run)).toBe(1);
    const all = run.stdout + run.stderr;
    expect(all.match(/the port is already in use/g)).toHaveLength(1);
    expectOneLineNoStack(run.stderr);
    expect(readFileSync(log, 'utf8')).toMatch(/ERROR cannot listen on .*EADDRINUSE/);
  });

  it('exits 2 on an unknown flag, like every other usage error; --help lists -V, which prints the version', async () => {
    for (const args of [['serve', '--bogus'], ['--bogus']]) {
      const run = start(args);
      expect(await waitForExit(run)).toBe(2);
      expect(run.stderr).toMatch(/unknown option '--bogus'/);
    }
    const help = start(['serve', '--help']);
    expect(await waitForExit(help)).toBe(0);
    expect(help.stdout).toMatch(/^\s+-V, --version\s/m);
    const version = start(['serve', '-V']);
    expect(await waitForExit(version)).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits at once on a second signal while waiting for clients to drain', async () => {
    const file = ini('slow.ini', 'adress = ws://127.0.0.1:0\ndemo = false\nconsole = true\nshutdownGrace = 60\n');
    const { run, port } = await startRelay(['serve', '-i', file]);
    // A raw client that completes the handshake and then ignores the close frame, and the FIN after
    // it (half-open), keeps the relay draining.
    const raw = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(raw);
    let received = '';
    const upgraded = new Promise<void>((resolve) => {
      raw.on('data', function rawOnData(chunk: Buffer) {
        received += chunk.toString('latin1');
        if (received.includes('\r\n\r\n')) resolve();
      });
    });
    raw.write(
      'GET /web HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await upgraded;
    await waitForOutput(run, /INFO client connected /);
    run.child.kill('SIGTERM');
    await waitForOutput(run, /INFO shutting down/);
    run.child.kill('SIGTERM');
    // Well inside the 60 s grace: the second signal did not wait for the drain.
    expect(await waitForExit(run)).toBe(1);
    expect(run.stdout).toMatch(/WARN second signal: exiting without waiting signal=SIGTERM/);
  });
});
