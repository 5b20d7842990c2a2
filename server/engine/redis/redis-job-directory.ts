import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { JobState, Outcome, type JobLostReason } from '../../../include/protocol.js';
import type { Logger } from '../../logger/logger.js';
import type { JobDirectory, JobEntry, JobSignalHandler } from '../job-directory.js';
import { JOB_ADOPT, JOB_CLAIM, JOB_END } from './job-scripts.js';
import { PendingAnswers } from './pending-answers.js';
import type { EngineRedis } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';

type JobRedis = EngineRedis & {
  wsJobClaim(...args: (string | number)[]): Promise<number>;
  wsJobEnd(...args: (string | number)[]): Promise<number>;
  wsJobAdopt(...args: (string | number)[]): Promise<string[] | null>;
};

export interface RedisJobDirectoryOptions {
  /** The engine's command connection (the scripts are defined on it). */
  cmd: EngineRedis;
  /** A subscriber connection of its own: this node's job channel. */
  sub: Redis;
  keys: RedisKeys;
  nodeId: string;
  logger: Logger;
  /** How long an entry outlives its last claim or end (running ones are refreshed well within). */
  ttlMs: number;
  /** How long a signal waits for the owner node's answer before it is `failed`. */
  answerTimeoutMs: number;
  /** How often this node looks for dead nodes' jobs. Default 1 s. */
  adoptEveryMs?: number;
}

/** Most running jobs this node keeps fresh in Redis (the tracker's cap is lower). */
const MAX_CLAIMED = 200_000;

interface StoredEntry {
  j: string | number;
  s: JobState;
  r: JobLostReason | null;
  u: number;
  n: string;
  id: string;
}

/** What nodes say to each other on `<p>jobch:<node>`: a signal for a job, or its outcome. */
type JobMessage = { t: 's'; id: string; r: string; k: string; j: string; f: object } | { t: 'a'; id: string; o: Outcome };

const OUTCOMES: ReadonlySet<string> = new Set(Object.values(Outcome));

/**
 * The job directory of the Redis engine. The node whose publisher reports a
 * job claims it in Redis (an entry with a TTL, kept fresh while it runs);
 * a page's signal on another node reads the entry and travels on the owner
 * node's job channel, whose tracker answers with the outcome. Ends are one
 * script each, conditional on the owner, so a lost job is announced by one
 * node. Every node looks once a second for nodes that died with jobs (their
 * node key expired) and adopts their jobs, once, so a `kill -9` of the
 * publisher's node still ends in `lost` after the grace.
 */
export class RedisJobDirectory implements JobDirectory {
  readonly #o: RedisJobDirectoryOptions;
  readonly #cmd: JobRedis;
  readonly #pending: PendingAnswers;
  /** Running jobs claimed by this node, to refresh their TTL: member → entry key. */
  readonly #claimed = new Map<string, { entry: string; page: string }>();
  #handler: JobSignalHandler | null = null;
  #timers: NodeJS.Timeout[] = [];
  #nextId = 0;
  readonly #prefix = randomBytes(3).toString('hex');
  /** Failed directory commands (the local tracker stays in charge). */
  errors = 0;

  constructor(options: RedisJobDirectoryOptions) {
    this.#o = options;
    const cmd = options.cmd as JobRedis;
    cmd.defineCommand('wsJobClaim', { numberOfKeys: 4, lua: JOB_CLAIM });
    cmd.defineCommand('wsJobEnd', { numberOfKeys: 2, lua: JOB_END });
    cmd.defineCommand('wsJobAdopt', { numberOfKeys: 1, lua: JOB_ADOPT });
    this.#cmd = cmd;
    this.#pending = new PendingAnswers(options.answerTimeoutMs, () => {});
    options.sub.on('message', (_channel: string, message: string) => this.#onMessage(message));
  }

  attach(handler: JobSignalHandler): void {
    this.#handler = handler;
  }

  async start(): Promise<void> {
    await this.#o.sub.connect();
    await this.#o.sub.subscribe(this.#channel(this.#o.nodeId));
    this.#every(100, () => this.#pending.sweep());
    this.#every(Math.max(1_000, Math.floor(this.#o.ttlMs / 3)), () => this.#refresh());
    this.#every(this.#o.adoptEveryMs ?? 1_000, () => void this.#adoptDead());
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#pending.failAll();
    // The claims stay: another node adopts them once this node's key is gone.
    await Promise.allSettled([this.#o.sub.quit()]);
    this.#o.sub.disconnect();
  }

  claim(key: string, uuid: string, job: string | number): void {
    const name = String(job);
    const member = memberOf(key, name);
    const entry = this.#entryKey(key, name);
    const page = this.#pageKey(key);
    if (this.#claimed.size < MAX_CLAIMED) this.#claimed.set(member, { entry, page });
    const stored: StoredEntry = { j: job, s: JobState.Running, r: null, u: Date.now(), n: this.#o.nodeId, id: uuid };
    const { nodeId, ttlMs } = this.#o;
    this.#cmd
      .wsJobClaim(
        entry,
        page,
        this.#nodeJobs(nodeId),
        this.#jobNodes(),
        JSON.stringify(stored),
        nodeId,
        member,
        name,
        ttlMs,
        this.#nodeJobsPrefix(),
      )
      .catch((error: Error) => this.#failed('claim', error));
  }

  end(key: string, job: string | number, state: JobState, reason: JobLostReason | null, ifOwner: string | null): Promise<boolean> {
    const name = String(job);
    const member = memberOf(key, name);
    this.#claimed.delete(member);
    const stored: StoredEntry = { j: job, s: state, r: reason, u: Date.now(), n: this.#o.nodeId, id: '' };
    return this.#cmd
      .wsJobEnd(
        this.#entryKey(key, name),
        this.#pageKey(key),
        JSON.stringify(stored),
        ifOwner ?? '*',
        member,
        name,
        this.#o.ttlMs,
        this.#nodeJobsPrefix(),
      )
      .then(
        (ended) => ended === 1,
        (error: Error) => {
          this.#failed('end', error);
          // Redis cannot tell: a lost job is still announced (maybe twice), never kept `running` for good.
          return true;
        },
      );
  }

  async signal(key: string, job: string, frame: object): Promise<Outcome> {
    try {
      const entry = await this.get(key, job);
      if (entry === null || entry.state !== JobState.Running || !entry.nodeAlive || entry.node === this.#o.nodeId) return Outcome.Unknown;
      const id = `${this.#prefix}.${(this.#nextId++).toString(36)}`;
      const answer = this.#pending.expectOutcome(id);
      const message: JobMessage = { t: 's', id, r: this.#o.nodeId, k: key, j: job, f: frame };
      const listeners = await this.#cmd.publish(this.#channel(entry.node), JSON.stringify(message));
      if (listeners === 0) {
        this.#pending.forget(id);
        return Outcome.Unknown;
      }
      return (await answer).outcome;
    } catch (error) {
      this.#failed('signal', error as Error);
      return Outcome.Failed;
    }
  }

  async jobsOf(key: string): Promise<JobEntry[]> {
    try {
      const names = await this.#cmd.smembers(this.#pageKey(key));
      if (names.length === 0) return [];
      const texts = await this.#cmd.mget(...names.map((name) => this.#entryKey(key, name)));
      return await this.#withLiveness(texts);
    } catch (error) {
      this.#failed('list', error as Error);
      return [];
    }
  }

  async get(key: string, job: string): Promise<JobEntry | null> {
    try {
      const text = await this.#cmd.get(this.#entryKey(key, job));
      return (await this.#withLiveness([text]))[0] ?? null;
    } catch (error) {
      this.#failed('read', error as Error);
      return null;
    }
  }

  /** Decode entries and ask once per distinct node whether it is alive. */
  async #withLiveness(texts: (string | null)[]): Promise<JobEntry[]> {
    const stored = texts.map(decodeEntry).filter((entry): entry is StoredEntry => entry !== null);
    const nodes = [...new Set(stored.map((entry) => entry.n))];
    const alive = new Set<string>();
    if (nodes.length > 0) {
      const flags = await this.#cmd.mget(...nodes.map((node) => this.#o.keys.node(node)));
      nodes.forEach((node, i) => flags[i] !== null && alive.add(node));
    }
    alive.add(this.#o.nodeId);
    return stored.map((entry) => ({
      job: entry.j,
      state: entry.s,
      reason: entry.r,
      updated: entry.u,
      node: entry.n,
      nodeAlive: alive.has(entry.n),
    }));
  }

  /** Nodes with jobs whose node key is gone: adopt their running jobs (one node wins each). */
  async #adoptDead(): Promise<void> {
    const handler = this.#handler;
    if (handler === null || this.#cmd.status !== 'ready') return;
    try {
      const nodes = await this.#cmd.smembers(this.#jobNodes());
      const others = nodes.filter((node) => node !== this.#o.nodeId);
      if (others.length === 0) return;
      const flags = await this.#cmd.mget(...others.map((node) => this.#o.keys.node(node)));
      for (const [i, node] of others.entries()) {
        if (flags[i] !== null) continue;
        const members = await this.#cmd.wsJobAdopt(this.#jobNodes(), node, this.#o.keys.nodeKeyPrefix, this.#nodeJobsPrefix());
        if (!members || members.length === 0) continue;
        const parsed = members.map(parseMember).filter((m): m is [string, string] => m !== null);
        const texts = await this.#cmd.mget(...parsed.map(([key, name]) => this.#entryKey(key, name)));
        let adopted = 0;
        for (const [j, text] of texts.entries()) {
          const entry = decodeEntry(text);
          if (entry === null || entry.s !== JobState.Running || entry.n !== node) continue;
          handler.orphaned(parsed[j]![0], entry.id, entry.j, node);
          adopted++;
        }
        this.#o.logger.info('adopted the running jobs of a node that went away', { node, jobs: adopted });
      }
    } catch (error) {
      this.#failed('adopt', error as Error);
    }
  }

  #refresh(): void {
    if (this.#claimed.size === 0 || this.#cmd.status !== 'ready') return;
    const pipeline = this.#cmd.pipeline();
    for (const { entry, page } of this.#claimed.values()) {
      pipeline.pexpire(entry, this.#o.ttlMs);
      pipeline.pexpire(page, this.#o.ttlMs);
    }
    pipeline.exec().catch((error: Error) => this.#failed('refresh', error));
  }

  #onMessage(text: string): void {
    let message: JobMessage;
    try {
      message = JSON.parse(text) as JobMessage;
    } catch {
      this.errors++;
      return;
    }
    if (message.t === 'a') {
      if (typeof message.o === 'string' && OUTCOMES.has(message.o)) this.#pending.outcome(String(message.id), message.o);
      return;
    }
    if (message.t !== 's' || typeof message.k !== 'string' || typeof message.j !== 'string' || typeof message.r !== 'string') return;
    const outcome = this.#handler?.signal(message.k, message.j, message.f ?? {}) ?? Outcome.Unknown;
    const answer: JobMessage = { t: 'a', id: String(message.id), o: outcome };
    this.#cmd.publish(this.#channel(message.r), JSON.stringify(answer)).catch((error: Error) => this.#failed('answer', error));
  }

  #failed(what: string, error: Error): void {
    this.errors++;
    if (this.errors === 1 || this.errors % 1000 === 0) {
      this.#o.logger.warn('job directory command failed; this node answers from what it tracks', {
        what,
        reason: error.message,
        errors: this.errors,
      });
    }
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  #channel(node: string): string {
    return `${this.#o.keys.prefix}jobch:${node}`;
  }

  #entryKey(key: string, job: string): string {
    return `${this.#o.keys.prefix}job:${key}:${job}`;
  }

  #pageKey(key: string): string {
    return `${this.#o.keys.prefix}jobs:${key}`;
  }

  #nodeJobsPrefix(): string {
    return `${this.#o.keys.prefix}njobs:`;
  }

  #nodeJobs(node: string): string {
    return this.#nodeJobsPrefix() + node;
  }

  #jobNodes(): string {
    return `${this.#o.keys.prefix}jobnodes`;
  }
}

/** A job of a page as one set member (any characters in either). */
function memberOf(key: string, job: string): string {
  return JSON.stringify([key, job]);
}

function parseMember(member: string): [string, string] | null {
  try {
    const value = JSON.parse(member) as unknown;
    return Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string' ? [value[0], value[1]] : null;
  } catch {
    return null;
  }
}

function decodeEntry(text: string | null): StoredEntry | null {
  if (text === null) return null;
  try {
    const entry = JSON.parse(text) as StoredEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.s === 'string' && typeof entry.n === 'string' ? entry : null;
  } catch {
    return null;
  }
}
