import { Outcome } from '../../../include/protocol.js';
import type { JobDirectory, JobEntry } from '../job-directory.js';

const NONE: JobEntry[] = Object.freeze([]) as unknown as JobEntry[];

/** One process: the local tracker knows every job, so there is nothing to record or route. */
export class MemoryJobDirectory implements JobDirectory {
  attach(): void {}
  claim(): void {}
  end(): boolean {
    return true;
  }
  signal(): Promise<Outcome> {
    return Promise.resolve(Outcome.Unknown);
  }
  jobsOf(): JobEntry[] {
    return NONE;
  }
  get(): null {
    return null;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
