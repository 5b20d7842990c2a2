import type { JobLostReason, JobState, Outcome } from '../../include/protocol.js';

/** A job as the whole relay (every node) knows it. */
export interface JobEntry {
  /** The job id as its publisher wrote it. */
  job: string | number;
  state: JobState;
  reason: JobLostReason | null;
  /** Wall-clock ms of its last state change or claim. */
  updated: number;
  /** The node whose publisher runs (or last ran) it. */
  node: string;
  /** Is that node alive? (Always true for the memory engine.) */
  nodeAlive: boolean;
}

/** What a node runs for the signals other nodes route to jobs its publishers run (the job tracker). */
export interface JobSignalHandler {
  /** Hand a page's signal to the job's publisher on this node: `delivered`, `held`, or `unknown` when it does not run here. */
  signal(key: string, job: string, frame: object): Outcome;
  /** Jobs whose publisher's node died without a final state: lost unless someone reports within the grace (then `owner` ran them). */
  orphaned(key: string, uuid: string, job: string | number, owner: string): void;
}

/**
 * Which node runs which page's job, so that a page's signal reaches the
 * job's publisher wherever that one is connected, a page's jobs can be read
 * from any node, and a job is declared lost by one node only.
 *
 * The memory engine's directory is this process alone: nothing is recorded,
 * signals and lists are the local tracker's, every end is this node's.
 *
 * What an implementer guarantees:
 * - `claim` and `end` never throw and never block the caller's path; a
 *   failure (the shared store unreachable) is counted and leaves the local
 *   tracker's view in charge.
 * - `end(…, ifOwner)` is atomic across nodes: for a given running job at
 *   most one call with a non-null `ifOwner` answers true, and none does
 *   after the job was claimed by another node or ended. A caller publishes a
 *   `lost` packet only on true, so a page hears `lost` exactly once.
 * - `signal` resolves (never rejects): the owner node's handler's outcome,
 *   `unknown` when no live node runs the job, `failed` when the owner did
 *   not answer in time.
 * - `jobsOf` resolves (never rejects) with what it can read; empty when it
 *   cannot.
 * - Every record outlives its last claim by a bounded time, and a node's
 *   records are adopted by another node (`orphaned`) when it dies.
 */
export interface JobDirectory {
  attach(handler: JobSignalHandler): void;
  /** This node's publisher reports the running job (its first report here, or a refresh). */
  claim(key: string, uuid: string, job: string | number): void;
  /**
   * The job ended with `state`. `ifOwner` null: unconditionally (a publisher's
   * own done/failed). Otherwise only if the job is still running and was last
   * claimed by node `ifOwner` ('' when it was never recorded). True when this
   * call ended it; a boolean at once when no other node is involved.
   */
  end(key: string, job: string | number, state: JobState, reason: JobLostReason | null, ifOwner: string | null): boolean | Promise<boolean>;
  /** Route a page's signal for its job to the node that runs it (only called when this node does not). */
  signal(key: string, job: string, frame: object): Promise<Outcome>;
  /** The page's jobs the other nodes know; an empty array at once when there are no other nodes. */
  jobsOf(key: string): JobEntry[] | Promise<JobEntry[]>;
  /** The record of one job, if any (a resumed page's suspicion asks first); null at once without other nodes. */
  get(key: string, job: string): JobEntry | null | Promise<JobEntry | null>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
