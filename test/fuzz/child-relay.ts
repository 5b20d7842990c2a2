import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../helpers/build-once.js';

/**
 * The real `websock serve` in its own process, so that an exception that
 * reaches `uncaughtException` shows as what it is in production: the
 * relay's process going down.
 */
export class ChildRelay {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #output = '';
  #exit: { code: number | null; signal: string | null } | null = null;

  private constructor(child: ChildProcess, dir: string, port: number, output: string) {
    this.#child = child;
    this.#dir = dir;
    this.port = port;
    this.#output = output;
    child.stdout?.on('data', (text: string) => (this.#output = (this.#output + text).slice(-20_000)));
    child.stderr?.on('data', (text: string) => (this.#output = (this.#output + text).slice(-20_000)));
    child.on('exit', (code, signal) => (this.#exit = { code, signal }));
  }

  /**
   * Start a relay with these websock.ini lines (address and logging are set
   * here); `nodeArgs` go to node (`--max-old-space-size=192` caps its heap).
   */
  static async start(iniLines: string[], nodeArgs: string[] = []): Promise<ChildRelay> {
    const dir = mkdtempSync(join(tmpdir(), 'websock-fuzz-'));
    const ini = join(dir, 'websock.ini');
    writeFileSync(ini, ['adress = ws://127.0.0.1:0', 'console = true', 'logLevel = error', ...iniLines].join('\n') + '\n');
    const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'clients', 'cli', 'websock.js'), 'serve', '-i', ini], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const { port, output } = await new Promise<{ port: number; output: string }>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`relay did not start: ${seen}`)), 20_000);
      const onData = (text: string): void => {
        seen += text;
        const match = /relay listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(seen);
        if (match) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve({ port: Number(match[1]), output: seen });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (text: string) => (seen += text));
      child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${seen}`)));
    });
    return new ChildRelay(child, dir, port, output);
  }

  /** Null while it runs; how it ended otherwise. */
  get exited(): { code: number | null; signal: string | null } | null {
    return this.#exit;
  }

  /** The last 20 000 characters it wrote to stdout and stderr. */
  get output(): string {
    return this.#output;
  }

  /** `kill -9`: the process ends without closing a socket or telling anyone (a machine lost). */
  async kill(): Promise<void> {
    if (this.#exit !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the process is frozen, its sockets stay open (a node hung in a long GC pause or swapped out). */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  /** SIGCONT: a frozen process runs again. */
  thaw(): void {
    this.#child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.#exit === null) {
      this.#child.kill('SIGCONT');
      const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
