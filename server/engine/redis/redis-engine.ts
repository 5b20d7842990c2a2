import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { Outcome } from '../../../include/protocol.js';
import type { Logger } from '../../logger/logger.js';
import type { RelayStats } from '../../metrics/relay-stats.js';
import type { PublicationHandler } from '../broker.js';
import type { Engine, EngineHealth } from '../engine.js';
import { EngineTelemetry } from '../engine-telemetry.js';
import type { Payload } from '../publication.js';
import type { LogLimits } from '../session-log.js';
import { decodeEnvelope, probeEnvelope, type Envelope } from './envelope.js';
import { RedisBroker } from './redis-broker.js';
import { RedisKeys } from './redis-keys.js';
import { commandConnection, subscriberConnection, type EngineRedis, type RedisLink } from './redis-link.js';
import { RedisPresence } from './redis-presence.js';
import { ReplyBatch } from './reply-batch.js';
import { RedisChannels } from './redis-channels.js';
import { RedisJobDirectory } from './redis-job-directory.js';
import { RedisSessionLog } from './redis-session-log.js';

/** A page session of this node, as the engine needs it to announce the page again. */
export interface AttachedPage {
  key: string;
  epoch: string;
  lastSeq: number;
  conn: unknown;
}

export interface RedisEngineOptions {
  /** redis://[user:pass@]host:port[/db] or rediss://… */
  url: string;
  /** Put before every key and channel name (brokerPrefix). */
  prefix: string;
  nodeId: string;
  limits: LogLimits;
  /** The pages of this node (to restore their logs' numbering after Redis came back empty). */
  pages: () => Iterable<AttachedPage>;
  stats: RelayStats;
  logger: Logger;
  /** TLS and other connection options (rediss://). */
  redisOptions?: RedisOptions;
  /** How often this node says it is alive; its node key lives 3 times as long. Default 1 s. */
  heartbeatMs?: number;
  /** How long a held name outlives its last refresh. Default 60 s (refreshed every 20 s). */
  holdTtlMs?: number;
  /** How long a publish waits for the holder's answer before it is `failed`. Default 5 s. */
  answerTimeoutMs?: number;
  /** How often the pub/sub liveness probe runs. Default 5 s. */
  probeMs?: number;
  /** How long start() waits for Redis. Default 5 s. */
  connectTimeoutMs?: number;
  /** How long a job's entry outlives its last report or end. Default 10 min. */
  jobTtlMs?: number;
}

const NO_FIELDS = Object.freeze({});

/**
 * The Redis engine: several relay processes act as one. Each node has a
 * channel for what is addressed to its connections and listens on the
 * cluster channel for broadcasts; page logs are Redis streams; who holds
 * what is in keys with TTLs kept fresh by a heartbeat.
 *
 * Failure is reported, never silent: while Redis is unreachable publishes
 * are `failed` and /health says `down` (pages stay connected); ioredis
 * reconnects and subscribes again by itself, and on every (re)connect this
 * node announces again what it holds — the names, and the numbering of its
 * attached pages' logs — so routing recovers even when Redis restarted
 * empty. A liveness probe (a message to itself through pub/sub) catches a
 * subscription that silently stopped delivering, and reconnects it.
 */
export class RedisEngine implements Engine {
  readonly kind = 'redis';
  readonly nodeId: string;
  readonly broker: RedisBroker;
  readonly log: RedisSessionLog;
  readonly presence: RedisPresence;
  readonly channels: RedisChannels;
  readonly jobs: RedisJobDirectory;
  readonly telemetry = new EngineTelemetry();

  readonly #options: RedisEngineOptions;
  readonly #keys: RedisKeys;
  readonly #cmd: EngineRedis;
  readonly #sub: Redis;
  readonly #heartbeatMs: number;
  readonly #holdTtlMs: number;
  readonly #probeMs: number;
  readonly #replies = new ReplyBatch((node, envelope) => this.#answer(node, envelope));
  #handler: PublicationHandler | null = null;
  #timers: NodeJS.Timeout[] = [];
  #probe: { token: string; sentAt: number } | null = null;
  #probeFailed = false;
  #started = false;
  #stopping = false;
  #lastError = '';

  constructor(options: RedisEngineOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.#keys = new RedisKeys(options.prefix);
    this.#heartbeatMs = options.heartbeatMs ?? 1_000;
    this.#holdTtlMs = options.holdTtlMs ?? 60_000;
    this.#probeMs = options.probeMs ?? 5_000;
    const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1_000);
    const redisOptions: RedisOptions = { retryStrategy, connectionName: `websock-${options.nodeId}`, ...options.redisOptions };
    this.#cmd = commandConnection(options.url, redisOptions, this.telemetry);
    this.#sub = subscriberConnection(options.url, redisOptions);
    const link: RedisLink = {
      cmd: this.#cmd,
      keys: this.#keys,
      nodeId: this.nodeId,
      limits: options.limits,
      logTtlMs: Math.max(options.limits.ageMs, 30_000) + 10_000,
      telemetry: this.telemetry,
    };
    this.log = new RedisSessionLog(link);
    this.presence = new RedisPresence(link, this.#holdTtlMs);
    this.channels = new RedisChannels({
      url: options.url,
      keys: this.#keys,
      nodeId: this.nodeId,
      logger: options.logger,
      redisOptions,
      heartbeatMs: this.#heartbeatMs,
    });
    this.jobs = new RedisJobDirectory({
      cmd: this.#cmd,
      sub: subscriberConnection(options.url, redisOptions),
      keys: this.#keys,
      nodeId: this.nodeId,
      logger: options.logger,
      ttlMs: options.jobTtlMs ?? 600_000,
      answerTimeoutMs: options.answerTimeoutMs ?? 5_000,
    });
    this.broker = new RedisBroker(link, options.stats, options.logger, options.answerTimeoutMs ?? 5_000);
    this.#cmd.on('error', (error: Error) => this.#noteConnectionError(error));
    this.#sub.on('error', (error: Error) => this.#noteConnectionError(error));
    this.#cmd.on('ready', () => {
      if (!this.#started || this.#stopping) return;
      this.telemetry.reconnects.command++;
      void this.#announce('reconnected');
    });
    this.#sub.on('ready', () => {
      if (this.#started && !this.#stopping) this.telemetry.reconnects.subscriber++;
    });
    this.#sub.on('message', (_channel: string, message: string) => this.#onMessage(message));
  }

  attach(handler: PublicationHandler): void {
    this.#handler = handler;
    this.broker.attach(handler);
  }

  async start(): Promise<void> {
    const timeoutMs = this.#options.connectTimeoutMs ?? 5_000;
    try {
      await withTimeout(Promise.all([this.#cmd.connect(), this.#sub.connect()]), timeoutMs, `no answer within ${timeoutMs} ms`);
      await this.#sub.subscribe(this.#keys.channel(this.nodeId), this.#keys.clusterChannel);
      await this.#heartbeat();
      // After the heartbeat: the channels count this node only while its node key lives.
      await withTimeout(this.channels.start(), timeoutMs, `no answer within ${timeoutMs} ms`);
      await withTimeout(this.jobs.start(), timeoutMs, `no answer within ${timeoutMs} ms`);
    } catch (error) {
      this.#cmd.disconnect();
      this.#sub.disconnect();
      void this.channels.stop();
      void this.jobs.stop();
      throw new Error(`cannot use the broker ${redactUrl(this.#options.url)}: ${(error as Error).message}`, { cause: error });
    }
    this.#started = true;
    this.#every(this.#heartbeatMs, () => void this.#heartbeat().catch((error: Error) => this.#noteError(error)));
    this.#every(Math.max(1_000, Math.floor(this.#holdTtlMs / 3)), () => void this.presence.announceAll().catch(() => {}));
    this.#every(100, () => this.broker.pending.sweep());
    this.#every(this.#probeMs, () => this.#runProbe());
    this.#options.logger.info('broker connected', { broker: redactUrl(this.#options.url), node: this.nodeId });
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.broker.pending.failAll();
    if (this.#cmd.status === 'ready') {
      // Let the names go at once, so publishes to them are not sent to a node that is leaving.
      await Promise.allSettled([this.presence.releaseAll(), this.#cmd.del(this.#keys.node(this.nodeId))]);
    }
    await Promise.allSettled([this.#sub.quit(), this.#cmd.quit(), this.channels.stop(), this.jobs.stop()]);
    this.#sub.disconnect();
    this.#cmd.disconnect();
  }

  health(): EngineHealth {
    if (this.#cmd.status !== 'ready' || this.#sub.status !== 'ready') {
      return { engine: 'redis', state: 'down', detail: `Redis is unreachable${this.#lastError ? `: ${this.#lastError}` : ''}` };
    }
    if (this.#probeFailed) return { engine: 'redis', state: 'degraded', detail: 'the pub/sub probe did not come back; resubscribing' };
    return { engine: 'redis', state: 'ok' };
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  async #heartbeat(): Promise<void> {
    await this.#cmd.set(this.#keys.node(this.nodeId), '1', 'PX', this.#heartbeatMs * 3);
  }

  /** Say again what this node holds: after a reconnect Redis may have come back empty. */
  async #announce(why: string): Promise<void> {
    try {
      await this.#heartbeat();
      await this.presence.announceAll();
      let restored = 0;
      for (const page of this.#options.pages()) {
        if (page.conn === null) continue;
        if (await this.log.restore(page.key, page.epoch, page.lastSeq)) restored++;
      }
      this.#options.logger.info('announced this node to the broker again', { why, names: this.presence.held.size, restoredLogs: restored });
    } catch (error) {
      this.#noteError(error as Error);
    }
  }

  #runProbe(): void {
    const probe = this.#probe;
    if (probe !== null && Date.now() - probe.sentAt >= this.#probeMs) {
      // The last probe never came back: the subscription is deaf though the connection looks fine.
      this.telemetry.probeFailures++;
      this.#probeFailed = true;
      this.#options.logger.warn('pub/sub probe did not come back: reconnecting the subscriber', { node: this.nodeId });
      this.#probe = null;
      this.#sub.disconnect(true);
      return;
    }
    if (this.#cmd.status !== 'ready') return;
    const token = randomBytes(6).toString('hex');
    this.#probe = { token, sentAt: Date.now() };
    this.#cmd.publish(this.#keys.channel(this.nodeId), probeEnvelope(token)).catch(() => {});
  }

  #onMessage(message: string): void {
    const envelope = decodeEnvelope(message);
    if (envelope === null) {
      this.telemetry.errors.bad_message++;
      return;
    }
    try {
      this.#handle(envelope);
    } catch (error) {
      this.telemetry.errors.delivery++;
      this.#options.logger.error('delivery of a publication from another node failed', { reason: (error as Error).message });
    }
  }

  #handle(envelope: Envelope): void {
    const handler = this.#handler;
    switch (envelope.type) {
      case 'deliver': {
        if (handler === null) return;
        const payload: Payload = { raw: envelope.text, packet: NO_FIELDS };
        const entry = envelope.seq > 0 ? { seq: envelope.seq, text: envelope.text } : null;
        const { outcome } = handler.deliver(envelope.target, payload, entry);
        if (envelope.replyTo !== '') this.#replies.outcome(envelope.replyTo, envelope.id, outcome);
        return;
      }
      case 'deliveries': {
        if (handler === null) return;
        for (const item of envelope.items) {
          // One delivery that throws fails only itself: the others are still written and answered.
          let outcome: Outcome = Outcome.Failed;
          try {
            const entry = item.seq > 0 ? { seq: item.seq, text: item.text } : null;
            outcome = handler.deliver(item.target, { raw: item.text, packet: NO_FIELDS }, entry).outcome;
          } catch (error) {
            this.telemetry.errors.delivery++;
            this.#options.logger.error('delivery of a publication from another node failed', { reason: (error as Error).message });
          }
          this.#replies.outcome(envelope.replyTo, item.id, outcome);
        }
        return;
      }
      case 'broadcast': {
        if (handler === null) return;
        const count = handler.broadcast({ raw: envelope.text, packet: NO_FIELDS }, envelope.origin);
        this.#replies.count(envelope.replyTo, envelope.id, count);
        return;
      }
      case 'reply':
        this.broker.pending.outcome(envelope.id, envelope.outcome);
        return;
      case 'replies':
        for (let i = 0; i < envelope.ids.length; i++) this.broker.pending.outcome(envelope.ids[i]!, envelope.outcomes[i]!);
        return;
      case 'count':
        this.broker.pending.counted(envelope.id, envelope.count);
        return;
      case 'counts':
        for (let i = 0; i < envelope.ids.length; i++) this.broker.pending.counted(envelope.ids[i]!, envelope.counts[i]!);
        return;
      case 'probe':
        if (this.#probe?.token === envelope.token) {
          this.#probe = null;
          this.#probeFailed = false;
        }
        return;
    }
  }

  #answer(node: string, envelope: string): void {
    this.#cmd.publish(this.#keys.channel(node), envelope).catch((error: Error) => this.#noteError(error));
  }

  /** A connection failed (each failed connect attempt while Redis is unreachable is one). */
  #noteConnectionError(error: Error): void {
    this.telemetry.errors.connection++;
    this.#noteError(error);
  }

  /** Log an error once per distinct reason; /health shows the last one. */
  #noteError(error: Error): void {
    if (error.message !== this.#lastError) this.#options.logger.warn('broker error', { reason: error.message });
    this.#lastError = error.message;
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function withTimeout<T>(promise: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(why)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
