import { JobLostReason, JobState, Outcome, ServerOpcode } from '../../include/protocol.js';
import type { JobDirectory, JobEntry } from '../engine/job-directory.js';
import { isFinal, type JobPublisher, type JobRecord, type SocketPublisher } from './job-record.js';

/** Most jobs tracked per page (the session log keeps the latest progress of as many). */
export const MAX_JOBS_PER_PAGE = 100;
/** Most jobs tracked on one node, all pages together. */
export const MAX_TRACKED_JOBS = 100_000;
/** Most signals waiting for one job's publisher; older ones give way. */
export const MAX_PENDING_SIGNALS = 16;
/** Most long-polls (`GET /signals`) waiting on one node, and on one job. */
export const MAX_SIGNAL_WAITERS = 1_000;
export const MAX_WAITERS_PER_JOB = 4;
/** Longest lease an HTTP publisher may declare (`progress.ttl`), in seconds. */
export const MAX_LEASE_S = 86_400;
/** A running job's publisher claims it in the cluster's directory again at most this often (it may have moved between nodes). */
export const CLAIM_EVERY_MS = 1_000;

/** The cluster as the tracker needs it: this node's id and the job directory (the engine). */
export interface JobCluster {
  readonly nodeId: string;
  readonly jobs: JobDirectory;
}

export interface JobTrackerOptions {
  /** How long a closed publisher (or a restarted relay's page) has to report again before the job is lost. */
  graceMs: number;
  /** How long a finished job's state stays readable (`GET /jobs`). */
  keepFinishedMs: number;
  /** Publish a relay message to the page (numbered and retained like any message). */
  publish(key: string, text: string, packet: { readonly [field: string]: unknown }): void;
  /** The engine, once built: where jobs of other nodes are found. Without it the tracker is this node alone. */
  cluster?: () => JobCluster | undefined;
}

/** A job's state as GET /jobs shows it. */
export interface JobView {
  job: string | number;
  state: JobState;
  reason: JobLostReason | null;
  updated: number;
}

const ALONE: JobCluster = { nodeId: '', jobs: null as unknown as JobDirectory };

/** A report's parts the tracker reads: the job id, its state and lease. */
export interface JobReport {
  job: string | number;
  state: unknown;
  ttl: unknown;
}

type Waiter = (signals: object[]) => void;

/**
 * The relay's view of each page's jobs on this node: who reports on a job,
 * whether it ended, and when it is lost. A job is `(page key, progress.job)`;
 * its publisher is whoever reported last. It is declared `lost` (and the page
 * told with a `job` packet) when the publisher's connection closed without a
 * final state and nobody reported within the grace, when an HTTP lease
 * lapsed, or when the relay restarted mid-job and nobody reported within
 * the grace after the page came back. Every map and timer here is bounded
 * by the caps above and cleared by `stop`.
 */
export class JobTracker {
  readonly #options: JobTrackerOptions;
  readonly #pages = new Map<string, Map<string, JobRecord>>();
  /** Finished records, oldest first (forgotten after keepFinishedMs, or first when a cap is hit). */
  readonly #finished = new Set<JobRecord>();
  /** Running records by the connection id reporting them. */
  readonly #bySocket = new Map<number, Set<JobRecord>>();
  readonly #waiters = new Map<JobRecord, Set<Waiter>>();
  #waiterCount = 0;
  #size = 0;
  /** Reports not tracked because the caps were full of running jobs. */
  untracked = 0;

  constructor(options: JobTrackerOptions) {
    this.#options = options;
  }

  /** How many jobs are tracked. */
  get size(): number {
    return this.#size;
  }

  /** A progress report for the page `key` (addressed as `uuid`) from `publisher`. */
  report(publisher: JobPublisher, key: string, uuid: string, report: JobReport, now = Date.now()): void {
    const record = this.#recordFor(key, report.job, uuid, now);
    if (record === null) return;
    // The common case, a running job's next step from the same publisher: nothing to re-index, arm or claim.
    if (
      record.publisher === publisher &&
      record.state === JobState.Running &&
      record.timer === null &&
      !record.away &&
      record.signals === null &&
      record.uuid === uuid &&
      report.ttl === undefined &&
      report.state !== JobState.Done &&
      report.state !== JobState.Failed &&
      (record.claimed !== 0 ? now - record.claimed < CLAIM_EVERY_MS : this.#options.cluster?.() === undefined)
    ) {
      record.updated = now;
      return;
    }
    const wasLive = record.state === JobState.Running && record.publisher.kind !== 'none' && !record.away;
    this.#clearTimer(record);
    this.#unindex(record);
    record.uuid = uuid;
    record.updated = now;
    record.publisher = publisher;
    record.away = false;
    record.reason = null;
    const state = report.state === JobState.Done || report.state === JobState.Failed ? report.state : JobState.Running;
    record.state = state;
    const cluster = this.#cluster();
    record.owner = cluster.nodeId;
    if (isFinal(state)) {
      this.#finish(record);
      record.claimed = 0;
      if (cluster !== ALONE) void cluster.jobs.end(key, record.job, state, null, null);
      return;
    }
    // Only on a change, or once a second: an HTTP publisher may move between nodes.
    if (cluster !== ALONE && (!wasLive || now - record.claimed >= CLAIM_EVERY_MS)) {
      record.claimed = now;
      cluster.jobs.claim(key, uuid, record.job);
    }
    this.#finished.delete(record);
    if (publisher.kind === 'socket') {
      let set = this.#bySocket.get(publisher.id);
      if (set === undefined) this.#bySocket.set(publisher.id, (set = new Set()));
      set.add(record);
      if (publisher.send !== null && record.signals !== null) this.#flushTo(record, publisher);
    } else if (publisher.kind === 'http') {
      const ttl = report.ttl;
      if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0) {
        this.#arm(record, Math.min(ttl, MAX_LEASE_S) * 1000, JobLostReason.LeaseExpired);
      }
    }
  }

  /** A connection of this node closed: the jobs it ran are lost unless someone reports within the grace. */
  socketClosed(id: number): void {
    const set = this.#bySocket.get(id);
    if (set === undefined) return;
    this.#bySocket.delete(id);
    for (const record of set) {
      record.away = true;
      this.#arm(record, this.#options.graceMs, JobLostReason.PublisherGone);
    }
  }

  /**
   * A page came back (resume) and its log says these jobs were running. Jobs
   * this node does not track (its process restarted, or they report through
   * another node) are lost unless a report for them passes here within the grace.
   */
  suspect(key: string, uuid: string, jobs: readonly (string | number)[], owners: readonly string[] = [], now = Date.now()): void {
    jobs.forEach((job, i) => {
      if (this.#pages.get(key)?.has(String(job))) return;
      this.#await(key, uuid, job, owners[i] ?? '', JobLostReason.RelayRestarted, now);
    });
  }

  /**
   * The directory found a running job of a node that died (`owner`): lost
   * unless a report for it arrives within the grace, here or on any node.
   */
  orphaned(key: string, uuid: string, job: string | number, owner: string, now = Date.now()): void {
    if (this.#pages.get(key)?.get(String(job))?.state === JobState.Running) return;
    this.#await(key, uuid, job, owner, JobLostReason.PublisherGone, now);
  }

  #await(key: string, uuid: string, job: string | number, owner: string, reason: JobLostReason, now: number): void {
    const record = this.#recordFor(key, job, uuid, now);
    if (record === null) return;
    this.#unindex(record);
    this.#finished.delete(record);
    this.#clearTimer(record);
    record.publisher = { kind: 'none' };
    record.state = JobState.Running;
    record.owner = owner;
    this.#arm(record, this.#options.graceMs, reason);
  }

  /** Is a report of this page's job awaited after a restart? (The router clears suspects that another node's publisher feeds.) */
  hasSuspects(): boolean {
    return this.#suspects > 0;
  }

  /** Progress for `key`'s job passed through this node (published elsewhere): it is alive. */
  seen(key: string, job: string): void {
    const record = this.#pages.get(key)?.get(job);
    if (record === undefined || record.publisher.kind !== 'none' || record.timer === null) return;
    this.#clearTimer(record);
    record.updated = Date.now();
  }

  /** The jobs of a page, oldest first. */
  jobsOf(key: string): JobRecord[] {
    const jobs = this.#pages.get(key);
    return jobs === undefined ? [] : [...jobs.values()];
  }

  get(key: string, job: string): JobRecord | undefined {
    return this.#pages.get(key)?.get(job);
  }

  /**
   * A page's signal for its job: written to a v2 backend now (`delivered`),
   * kept for an HTTP, v1 or reconnecting publisher (`held`), or `unknown`
   * when the page has no running job of that name here.
   */
  signal(key: string, job: string, frame: object): Outcome {
    const record = this.#pages.get(key)?.get(job);
    if (record === undefined || record.state !== JobState.Running || record.publisher.kind === 'none') return Outcome.Unknown;
    const publisher = record.publisher;
    if (publisher.kind === 'socket' && !record.away && publisher.send !== null && publisher.send(JSON.stringify(frame))) {
      return Outcome.Delivered;
    }
    const queue = (record.signals ??= []);
    if (queue.length >= MAX_PENDING_SIGNALS) queue.shift();
    queue.push(frame);
    this.#wake(record);
    return Outcome.Held;
  }

  /**
   * A page's signal, wherever its job runs: this node's publisher first, else
   * the node the directory names (a promise then). Same outcomes either way.
   */
  route(key: string, job: string, frame: object): Outcome | Promise<Outcome> {
    const outcome = this.signal(key, job, frame);
    const cluster = this.#cluster();
    if (outcome !== Outcome.Unknown || cluster === ALONE) return outcome;
    return cluster.jobs.signal(key, job, frame);
  }

  /** A signal another node routed here: named with the uuid and job id as this node's publisher wrote them. */
  signalFromNode(key: string, job: string, frame: object): Outcome {
    const record = this.#pages.get(key)?.get(job);
    if (record === undefined) return Outcome.Unknown;
    return this.signal(key, job, { ...frame, uuid: record.uuid, job: record.job });
  }

  /**
   * The page's jobs on every node: the directory's entries where it has
   * them (it knows of reports through other nodes), else this node's.
   */
  jobsEverywhere(key: string): JobView[] | Promise<JobView[]> {
    const local = this.jobsOf(key);
    const cluster = this.#cluster();
    if (cluster === ALONE) return local;
    const remote = cluster.jobs.jobsOf(key);
    if (Array.isArray(remote) && remote.length === 0) return local;
    return Promise.resolve(remote).then((entries) => mergeViews(local, entries));
  }

  /** The directory's entry of a job (null alone, or when it has none). */
  clusterEntry(key: string, job: string): JobEntry | null | Promise<JobEntry | null> {
    const cluster = this.#cluster();
    return cluster === ALONE ? null : cluster.jobs.get(key, job);
  }

  /** Take the signals waiting for `key`'s job (an HTTP publisher's report or poll); empty when none. */
  takeSignals(key: string, job: string): object[] {
    const record = this.#pages.get(key)?.get(job);
    if (record === undefined || record.signals === null) return NO_SIGNALS;
    const signals = record.signals;
    record.signals = null;
    return signals;
  }

  /**
   * Wait up to `ms` for signals of `key`'s job (long-poll). `done` is called
   * once, with the signals or an empty list; the returned function cancels.
   * Null when too many are waiting already (the caller answers 429).
   */
  waitForSignals(key: string, job: string, ms: number, done: Waiter): (() => void) | null {
    const now = this.takeSignals(key, job);
    if (now.length > 0 || ms <= 0) {
      done(now);
      return () => {};
    }
    const record = this.#pages.get(key)?.get(job);
    if (record === undefined || record.state !== JobState.Running) {
      done(NO_SIGNALS);
      return () => {};
    }
    let set = this.#waiters.get(record);
    if (this.#waiterCount >= MAX_SIGNAL_WAITERS || (set?.size ?? 0) >= MAX_WAITERS_PER_JOB) return null;
    if (set === undefined) this.#waiters.set(record, (set = new Set()));
    const waiters = set;
    let finished = false;
    const finish = (signals: object[]): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      waiters.delete(waiter);
      this.#waiterCount--;
      if (waiters.size === 0 && this.#waiters.get(record) === waiters) this.#waiters.delete(record);
      done(signals);
    };
    const waiter: Waiter = finish;
    const timer = setTimeout(() => finish(NO_SIGNALS), ms);
    waiters.add(waiter);
    this.#waiterCount++;
    return () => finish(NO_SIGNALS);
  }

  /** Forget finished jobs older than keepFinishedMs (called about once a second). */
  sweep(now = Date.now()): void {
    for (const record of this.#finished) {
      if (now - record.updated < this.#options.keepFinishedMs) break;
      this.#remove(record);
    }
  }

  /** Clear every timer and waiter (the relay stops). */
  stop(): void {
    for (const jobs of this.#pages.values()) for (const record of jobs.values()) this.#clearTimer(record);
    for (const set of [...this.#waiters.values()]) for (const waiter of [...set]) waiter(NO_SIGNALS);
    this.#pages.clear();
    this.#finished.clear();
    this.#bySocket.clear();
    this.#size = 0;
  }

  #suspects = 0;

  #cluster(): JobCluster {
    return this.#options.cluster?.() ?? ALONE;
  }

  #recordFor(key: string, job: string | number, uuid: string, now: number): JobRecord | null {
    const name = String(job);
    let jobs = this.#pages.get(key);
    const existing = jobs?.get(name);
    if (existing !== undefined) return existing;
    if (jobs !== undefined && jobs.size >= MAX_JOBS_PER_PAGE && !this.#evictFinished(jobs)) {
      this.untracked++;
      return null;
    }
    if (this.#size >= MAX_TRACKED_JOBS) {
      const oldest = this.#finished.values().next();
      if (oldest.done) {
        this.untracked++;
        return null;
      }
      this.#remove(oldest.value);
      jobs = this.#pages.get(key);
    }
    if (jobs === undefined) this.#pages.set(key, (jobs = new Map()));
    const record: JobRecord = {
      key,
      job,
      name,
      state: JobState.Running,
      reason: null,
      publisher: { kind: 'none' },
      owner: '',
      claimed: 0,
      away: false,
      uuid,
      updated: now,
      timer: null,
      signals: null,
    };
    jobs.set(name, record);
    this.#size++;
    return record;
  }

  /** Make room on a full page: drop its oldest finished job; false when all of them run. */
  #evictFinished(jobs: Map<string, JobRecord>): boolean {
    for (const record of jobs.values()) {
      if (isFinal(record.state)) {
        this.#remove(record);
        return true;
      }
    }
    return false;
  }

  #arm(record: JobRecord, ms: number, reason: JobLostReason): void {
    this.#clearTimer(record);
    if (record.publisher.kind === 'none') this.#suspects++;
    record.timer = setTimeout(() => {
      record.timer = null;
      if (record.publisher.kind === 'none') this.#suspects--;
      this.#lose(record, reason);
    }, ms);
  }

  #clearTimer(record: JobRecord): void {
    if (record.timer === null) return;
    clearTimeout(record.timer);
    record.timer = null;
    if (record.publisher.kind === 'none') this.#suspects--;
  }

  /** The grace or lease ran out: declared lost if the directory agrees no other node runs it (at most one node does). */
  #lose(record: JobRecord, reason: JobLostReason): void {
    const cluster = this.#cluster();
    if (cluster === ALONE) {
      this.#declareLost(record, reason);
      return;
    }
    const stamp = record.updated;
    const decided = cluster.jobs.end(record.key, record.job, JobState.Lost, reason, record.owner);
    const apply = (mine: boolean): void => {
      // A report that came meanwhile wins: the job is alive.
      if (record.updated !== stamp || record.timer !== null || record.state !== JobState.Running) return;
      if (mine) this.#declareLost(record, reason);
      else this.#remove(record); // it ended, or runs on another node: that one's record speaks for it
    };
    if (typeof decided === 'boolean') apply(decided);
    else void decided.then(apply);
  }

  #declareLost(record: JobRecord, reason: JobLostReason): void {
    this.#unindex(record);
    record.state = JobState.Lost;
    record.reason = reason;
    record.updated = Date.now();
    this.#finish(record);
    const packet = { opcode: ServerOpcode.Job, job: record.job, state: JobState.Lost, reason };
    this.#options.publish(record.key, JSON.stringify(packet), packet);
  }

  #finish(record: JobRecord): void {
    record.signals = null;
    this.#wake(record);
    this.#finished.delete(record);
    this.#finished.add(record);
  }

  #flushTo(record: JobRecord, publisher: SocketPublisher): void {
    const signals = record.signals ?? [];
    record.signals = null;
    for (const frame of signals) publisher.send?.(JSON.stringify(frame));
  }

  /** Hand waiting signals to a long-poll (or end the polls of a job that ended). */
  #wake(record: JobRecord): void {
    const set = this.#waiters.get(record);
    if (set === undefined) return;
    const signals = record.signals ?? NO_SIGNALS;
    record.signals = null;
    const first = set.values().next().value;
    if (signals.length > 0 && first !== undefined) first(signals);
    if (isFinal(record.state)) for (const waiter of [...set]) waiter(NO_SIGNALS);
  }

  #unindex(record: JobRecord): void {
    const publisher = record.publisher;
    if (publisher.kind !== 'socket') return;
    const set = this.#bySocket.get(publisher.id);
    if (set === undefined) return;
    set.delete(record);
    if (set.size === 0) this.#bySocket.delete(publisher.id);
  }

  #remove(record: JobRecord): void {
    this.#clearTimer(record);
    this.#unindex(record);
    this.#finished.delete(record);
    const jobs = this.#pages.get(record.key);
    if (jobs?.get(record.name) !== record) return;
    jobs.delete(record.name);
    if (jobs.size === 0) this.#pages.delete(record.key);
    this.#size--;
  }
}

const NO_SIGNALS: object[] = Object.freeze([]) as unknown as object[];

/** This node's records, with the directory's entry in place of each job it knows (it saw every node's reports). */
function mergeViews(local: readonly JobRecord[], entries: readonly JobEntry[]): JobView[] {
  const byName = new Map<string, JobView>();
  for (const record of local) byName.set(record.name, record);
  for (const entry of entries) byName.set(String(entry.job), entry);
  return [...byName.values()];
}
