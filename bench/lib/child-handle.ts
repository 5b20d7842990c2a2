/**
 * The runner half of the process protocol: spawn a compiled bench script as
 * a Node child with the file limit raised, exchange IPC messages, wait for a
 * given reply with a bounded timeout, and end the child by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIpcMessage, type IpcMessage } from './ipc-message.js';

export interface SpawnOptions {
  /** Extra node flags (--expose-gc, --cpu-prof ...). */
  nodeArgs?: string[];
  /** A label for error messages. */
  label: string;
}

/**
 * Raise the soft file limit to the hard one, then become node. The idle
 * scenario needs ~10 000 sockets in one process; the usual soft limit is 1024.
 */
const RAISE_FD_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

const STDERR_TAIL_CHARS = 4000;

/** Above this, the config goes in a file (Linux refuses one argument over 128 KiB: 10 000 uuids are more). */
const MAX_CONFIG_ARG_CHARS = 64 * 1024;

let configDir: string | null = null;
let configFiles = 0;
process.once('exit', function removeConfigFiles() {
  if (configDir !== null) rmSync(configDir, { recursive: true, force: true });
});

/** The config as the child's argument: the JSON itself, or `@file` for a large one (removed when the runner exits). */
function configArgument(config: unknown): string {
  const text = JSON.stringify(config);
  if (text.length <= MAX_CONFIG_ARG_CHARS) return text;
  configDir ??= mkdtempSync(join(tmpdir(), 'bench-config-'));
  const file = join(configDir, `config-${++configFiles}.json`);
  writeFileSync(file, text);
  return `@${file}`;
}

interface Waiter {
  type: string;
  resolve: (message: IpcMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ChildHandle {
  readonly label: string;
  readonly #process: ChildProcess;
  readonly #inbox: IpcMessage[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #stdoutLines: string[] = [];
  readonly #lineListeners = new Set<(line: string) => void>();
  #stderrTail = '';
  #exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly #exitPromise: Promise<void>;

  constructor(script: string, config: unknown, options: SpawnOptions) {
    this.label = options.label;
    const args = ['-c', RAISE_FD_LIMIT, 'bash', process.execPath, ...(options.nodeArgs ?? []), script, configArgument(config)];
    this.#process = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.#process.on('message', (message: unknown) => this.#onMessage(message));
    let partial = '';
    this.#process.stdout?.setEncoding('utf8');
    this.#process.stdout?.on('data', (chunk: string) => {
      partial += chunk;
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        this.#stdoutLines.push(line);
        for (const listener of this.#lineListeners) listener(line);
      }
    });
    this.#process.stderr?.setEncoding('utf8');
    this.#process.stderr?.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    this.#exitPromise = new Promise((resolve) => {
      this.#process.on('exit', (code, signal) => {
        this.#exited = { code, signal };
        const why = new Error(`${this.label} exited (code ${code}, signal ${signal}) ${this.#describeTail()}`);
        for (const waiter of this.#waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(why);
        }
        this.#waiters.clear();
        resolve();
      });
    });
    this.#process.on('error', (error) => {
      this.#stderrTail += `\nspawn error: ${error.message}`;
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  send(message: IpcMessage): void {
    if (this.#exited || !this.#process.connected) throw new Error(`${this.label} is not running ${this.#describeTail()}`);
    this.#process.send(message);
  }

  /** Send a request and wait for the reply of type `replyType`. */
  async request(message: IpcMessage, replyType: string, timeoutMs: number): Promise<IpcMessage> {
    const reply = this.waitFor(replyType, timeoutMs);
    this.send(message);
    return reply;
  }

  /** The next message of this type (already received or still to come), or an error after `timeoutMs`. */
  waitFor(type: string, timeoutMs: number): Promise<IpcMessage> {
    const index = this.#inbox.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.#inbox.splice(index, 1)[0]!);
    const failure = this.#inbox.find((message) => message.type === 'error');
    if (failure) return Promise.reject(new Error(`${this.label} failed: ${String(failure.error)}`));
    if (this.#exited) return Promise.reject(new Error(`${this.label} has exited ${this.#describeTail()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`${this.label}: no "${type}" within ${timeoutMs} ms ${this.#describeTail()}`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** The first stdout line that parses as a JSON object, within `timeoutMs`. */
  firstJsonLine(timeoutMs: number): Promise<Record<string, unknown>> {
    const parse = (line: string): Record<string, unknown> | null => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    };
    for (const line of this.#stdoutLines) {
      const value = parse(line);
      if (value) return Promise.resolve(value);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#lineListeners.delete(onLine);
        reject(new Error(`${this.label}: no JSON line on stdout within ${timeoutMs} ms ${this.#describeTail()}`));
      }, timeoutMs);
      const onLine = (line: string): void => {
        const value = parse(line);
        if (!value) return;
        clearTimeout(timer);
        this.#lineListeners.delete(onLine);
        resolve(value);
      };
      this.#lineListeners.add(onLine);
      void this.#exitPromise.then(() => {
        if (!this.#lineListeners.has(onLine)) return;
        clearTimeout(timer);
        this.#lineListeners.delete(onLine);
        reject(new Error(`${this.label} exited before printing JSON ${this.#describeTail()}`));
      });
    });
  }

  /** Ask the child to stop (message `stop`), then kill it if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exited) return;
    try {
      if (this.#process.connected) this.#process.send({ type: 'stop' });
    } catch {
      // Channel already closing: the kill below still ends it.
    }
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#exitPromise;
    clearTimeout(timer);
  }

  /** Resolves once the child has exited (at once if it has). */
  whenExited(): Promise<void> {
    return this.#exitPromise;
  }

  kill(): void {
    if (!this.#exited && this.#process.pid !== undefined) {
      try {
        process.kill(this.#process.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.#exited;
  }

  #onMessage(message: unknown): void {
    if (!isIpcMessage(message)) return;
    if (message.type === 'error') {
      const error = new Error(`${this.label} failed: ${String(message.error)}`);
      for (const waiter of this.#waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(error);
      }
      this.#waiters.clear();
      this.#inbox.push(message);
      return;
    }
    for (const waiter of this.#waiters) {
      if (waiter.type === message.type) {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
        waiter.resolve(message);
        return;
      }
    }
    this.#inbox.push(message);
  }

  #describeTail(): string {
    const tail = this.#stderrTail.trim();
    return tail ? `\n--- stderr of ${this.label} ---\n${tail.slice(-1500)}` : '';
  }
}
