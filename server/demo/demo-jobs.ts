import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../logger/logger.js';
import type { JobScriptArgs } from '../../include/demo-job-args.js';
import type { JobRequest } from './job-request.js';

export interface DemoJobsOptions {
  /** The compiled job script. */
  script: string;
  /** Most jobs running at once. */
  maxJobs: number;
  /** Pause between steps. */
  stepMs: number;
  /** A job still running after this long is killed. */
  timeoutMs: number;
}

/**
 * Runs demo jobs as separate processes, as a real site's backend would run:
 * each one connects to the relay itself. Bounded in number and in time, so
 * a page cannot pile up processes.
 */
export class DemoJobs {
  readonly #running = new Set<ChildProcess>();

  constructor(
    private readonly options: DemoJobsOptions,
    private readonly logger: Logger,
  ) {}

  get running(): number {
    return this.#running.size;
  }

  get full(): boolean {
    return this.#running.size >= this.options.maxJobs;
  }

  /** Ends every running job (the relay is stopping). */
  killAll(): void {
    for (const child of this.#running) child.kill();
  }

  /** Starts a job reporting to `request.uuid` through the relay at `address`. */
  start(request: JobRequest, address: string, caFile?: string): void {
    const args: JobScriptArgs = { address, uuid: request.uuid, job: request.job, steps: request.steps, stepMs: this.options.stepMs };
    if (caFile) args.caFile = caFile;
    if (request.token !== undefined) args.token = request.token;
    const child = spawn(process.execPath, [this.options.script, JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#running.add(child);
    const logger = this.logger;
    const running = this.#running;
    const timer = setTimeout(function demoJobTimeout() {
      logger.warn('demo job took too long: killing it', { job: request.job });
      child.kill();
    }, this.options.timeoutMs);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', function demoJobStderr(text: string) {
      stderr = (stderr + text).slice(-2000);
    });
    child.once('error', function demoJobError(error) {
      logger.error('demo job could not start', { job: request.job, reason: error.message });
    });
    child.once('close', function demoJobClosed(code, signal) {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) logger.info('demo job finished', { job: request.job });
      else logger.warn('demo job failed', { job: request.job, code, signal, stderr: stderr.trim() });
    });
    logger.info('demo job started', { job: request.job, pid: child.pid, steps: request.steps });
  }
}
