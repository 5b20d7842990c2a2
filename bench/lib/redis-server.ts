/**
 * A real redis-server for a test or a bench run: on a free loopback port, no
 * persistence, its own process; stop() kills it. Needs redis-server on the
 * PATH (.ci/ensure-test-deps.sh installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from './free-port.js';

export class RedisServer {
  readonly port: number;
  readonly #child: ChildProcess;
  #exited: Promise<void>;

  private constructor(port: number, child: ChildProcess) {
    this.port = port;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * CPU time the server has used so far (user + system), from /proc: what
   * the bench charges the engine per message. Linux only; the clock ticks at
   * 100 Hz, so a reading is good to 10 ms.
   */
  cpuTimeMs(): number {
    const stat = readFileSync(`/proc/${this.#child.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks * 10;
  }

  /** Start one and wait until it accepts connections (at most `timeoutMs`); `port` to restart one where it was. */
  static async start(timeoutMs = 10_000, port?: number): Promise<RedisServer> {
    port ??= await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new RedisServer(port, child);
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server not ready within ${timeoutMs} ms: ${output.slice(-500)}`)), timeoutMs);
      function fail(error: Error): void {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(error);
      }
      child.once('error', fail);
      const exitedEarly = (code: number | null): void => fail(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
      child.once('exit', exitedEarly);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.off('exit', exitedEarly);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    });
    return server;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
