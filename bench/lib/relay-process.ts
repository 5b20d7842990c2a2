/**
 * A relay under test, running in its own process: ours or the reference.
 * The runner reads its port from stdout and its CPU and memory over IPC.
 */
import { ChildHandle } from './child-handle.js';
import { scripts } from './paths.js';
import { isProcessStats, type ProcessStats } from './process-stats.js';
import type { ServerProcessConfig } from '../servers/serve-bench.js';

export type RelayKind = 'ours' | 'reference';

export interface RelayProcessOptions {
  maxMessageBytes?: number;
  publishSecret?: string;
  /** Write a CPU profile into this directory when the relay stops. */
  cpuProfileDir?: string;
  /** Our relay: config keys over the defaults (investigations: `--set`). */
  settings?: Record<string, number | string | boolean>;
  /** Extra node flags (`--node-flags`). */
  nodeFlags?: string[];
  /** Our relay: register one trivial preSend hook. */
  preSendHook?: boolean;
  /** How errors name the process; default "ours relay" or "reference relay". */
  label?: string;
  /** Run this relay entry instead of the kind's own (`--baseline`: our relay as built at another commit). */
  script?: string;
  /** False when the relay process does not answer `reset-peak` (an older bench server): resetPeak() then says false without asking. */
  answersResetPeak?: boolean;
  maxRunMs: number;
}

const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;

export class RelayProcess {
  readonly kind: RelayKind;
  readonly port: number;
  readonly #child: ChildHandle;
  readonly #answersResetPeak: boolean;

  private constructor(kind: RelayKind, child: ChildHandle, port: number, answersResetPeak: boolean) {
    this.kind = kind;
    this.#child = child;
    this.port = port;
    this.#answersResetPeak = answersResetPeak;
  }

  static async start(kind: RelayKind, options: RelayProcessOptions): Promise<RelayProcess> {
    const nodeArgs = ['--expose-gc', ...(options.nodeFlags ?? [])];
    if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, '--cpu-prof-interval=100');
    const config: ServerProcessConfig = { maxRunMs: options.maxRunMs };
    if (options.maxMessageBytes !== undefined) config.maxMessageBytes = options.maxMessageBytes;
    if (options.publishSecret !== undefined) config.publishSecret = options.publishSecret;
    if (options.settings && Object.keys(options.settings).length > 0) config.settings = options.settings;
    if (options.preSendHook) config.preSendHook = true;
    const script = options.script ?? (kind === 'ours' ? scripts.ourRelay : scripts.referenceRelay);
    const child = new ChildHandle(script, config, { label: options.label ?? `${kind} relay`, nodeArgs });
    try {
      const line = await child.firstJsonLine(START_TIMEOUT_MS);
      if (typeof line.port !== 'number') throw new Error(`${kind} relay printed no port: ${JSON.stringify(line)}`);
      return new RelayProcess(kind, child, line.port, options.answersResetPeak ?? true);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  url(path: string): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  async stats(): Promise<ProcessStats> {
    const reply = await this.#child.request({ type: 'stats' }, 'stats', REQUEST_TIMEOUT_MS);
    if (!isProcessStats(reply.stats)) throw new Error(`${this.kind} relay sent malformed stats`);
    return reply.stats;
  }

  /** Collect garbage in the relay, so a memory reading shows live data only. */
  async gc(): Promise<void> {
    await this.#child.request({ type: 'gc' }, 'gc-done', REQUEST_TIMEOUT_MS);
  }

  /** Reset the relay's peak RSS (VmHWM) to its current RSS; false where that is not possible. */
  async resetPeak(): Promise<boolean> {
    if (!this.#answersResetPeak) return false;
    const reply = await this.#child.request({ type: 'reset-peak' }, 'peak-reset', REQUEST_TIMEOUT_MS);
    return reply.ok === true;
  }

  stop(): Promise<void> {
    return this.#child.stop();
  }

  kill(): void {
    this.#child.kill();
  }

  /** SIGKILL, as a machine dies: resolves once the process is gone. */
  async killAndWait(): Promise<void> {
    this.#child.kill();
    await this.#child.whenExited();
  }
}
