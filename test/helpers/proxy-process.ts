/**
 * A real nginx or HAProxy in front of relay nodes, for the load-balancer
 * tests: started in the foreground from a config file written to its own
 * temporary directory, on a free loopback port, and stopped with its
 * workers. Needs nginx and haproxy on the PATH (.ci/ensure-test-deps.sh
 * installs them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/lib/free-port.js';

export type ProxyKind = 'nginx' | 'haproxy';

export class ProxyProcess {
  readonly kind: ProxyKind;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #exited: Promise<void>;
  #output = '';

  private constructor(kind: ProxyKind, port: number, child: ChildProcess, dir: string) {
    this.kind = kind;
    this.port = port;
    this.#child = child;
    this.#dir = dir;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer): void => void (this.#output = (this.#output + chunk.toString('utf8')).slice(-10_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /**
   * Start `kind` with `config`, a function of the directory it may write to
   * and the port to listen on that returns the whole configuration file.
   * Resolves once the process is running; use `waitUntil` for readiness.
   */
  static async start(kind: ProxyKind, config: (dir: string, port: number) => string): Promise<ProxyProcess> {
    const dir = mkdtempSync(join(tmpdir(), `websock-${kind}-`));
    const port = await freePort();
    const file = join(dir, `${kind}.conf`);
    writeFileSync(file, config(dir, port));
    const args = kind === 'nginx' ? ['-p', dir, '-c', file, '-e', join(dir, 'error.log')] : ['-db', '-f', file];
    const child = spawn(kind, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return new ProxyProcess(kind, port, child, dir);
  }

  /** Whatever the proxy wrote to stdout and stderr (its start-up errors among them). */
  get output(): string {
    return this.#output;
  }

  /** Stop it (SIGTERM: nginx's and HAProxy's fast stop, which ends its workers too) and remove its directory. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await this.#exited;
      clearTimeout(forced);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
