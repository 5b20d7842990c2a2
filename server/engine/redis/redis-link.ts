import { createHash } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { redisClass } from './load-ioredis.js';
import type { EngineTelemetry } from '../engine-telemetry.js';
import type { LogLimits } from '../session-log.js';
import {
  CREATE_LOG,
  HOLDER,
  LATEST_PROGRESS,
  PUBLISH_IDENT,
  PUBLISH_UUID,
  PUBLISH_UUIDS,
  READ_SINCE,
  RELEASE,
  RENEW,
  TRIM,
} from './lua-scripts.js';
import type { RedisKeys } from './redis-keys.js';

type Arg = string | number | Buffer;

/** The command connection with the engine's scripts defined on it (EVALSHA, EVAL again after a restart). */
export type EngineRedis = Redis & {
  /** {code, seq, epoch, entries dropped by the count/size limits}. */
  wsPublishUuid(...args: Arg[]): Promise<[number, number, string, number]>;
  /** numkeys first (5 per message); {code, seq, dropped} per message, flat. */
  wsPublishUuids(numKeys: number, ...args: Arg[]): Promise<number[]>;
  wsPublishIdent(...args: Arg[]): Promise<number>;
  wsHolder(key: string, nodeKeyPrefix: string): Promise<string | null>;
  wsRelease(key: string, nodeId: string): Promise<number>;
  wsRenew(key: string, nodeId: string, ttlMs: number): Promise<number>;
  wsCreateLog(...args: Arg[]): Promise<number>;
  wsReadSince(...args: Arg[]): Promise<(string | number)[]>;
  wsTrim(...args: Arg[]): Promise<number>;
  wsLatestProgress(...args: Arg[]): Promise<(string | number)[]>;
};

/** What the engine's parts share: the command connection, the key names, this node, the limits. */
export interface RedisLink {
  readonly cmd: EngineRedis;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  readonly limits: LogLimits;
  /** How long a page's log outlives the last append or keep-alive. */
  readonly logTtlMs: number;
  /** Where the engine's parts count renewals, trims and errors. */
  readonly telemetry: EngineTelemetry;
}

/**
 * The engine's scripts: the command name defined on the connection, its keys
 * (null: the caller says how many), and its operation label in the metrics.
 * A batch of uuid publishes is timed as one `publish_uuid` round trip.
 */
const SCRIPTS = [
  { command: 'wsPublishUuid', keys: 5, lua: PUBLISH_UUID, operation: 'publish_uuid' },
  { command: 'wsPublishUuids', keys: null, lua: PUBLISH_UUIDS, operation: 'publish_uuid' },
  { command: 'wsPublishIdent', keys: 1, lua: PUBLISH_IDENT, operation: 'publish_ident' },
  { command: 'wsHolder', keys: 1, lua: HOLDER, operation: 'holder' },
  { command: 'wsRelease', keys: 1, lua: RELEASE, operation: 'release' },
  { command: 'wsRenew', keys: 1, lua: RENEW, operation: 'renew' },
  { command: 'wsCreateLog', keys: 4, lua: CREATE_LOG, operation: 'create_log' },
  { command: 'wsReadSince', keys: 2, lua: READ_SINCE, operation: 'read_since' },
  { command: 'wsTrim', keys: 2, lua: TRIM, operation: 'trim' },
  { command: 'wsLatestProgress', keys: 2, lua: LATEST_PROGRESS, operation: 'latest_progress' },
] as const;

/** EVALSHA args are [sha, numkeys, KEYS…, ARGV…]: PUBLISH_UUID's ARGV[12] is '0' for a log append that publishes nothing. */
const PUBLISH_UUID_MODE_ARG = 2 + 5 + 12 - 1;

/** A command connection: fails at once while Redis is unreachable (a publish is then `failed`, never queued). */
export function commandConnection(url: string, options: RedisOptions, telemetry: EngineTelemetry): EngineRedis {
  const redis = new (redisClass())(url, {
    ...options,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  }) as EngineRedis;
  for (const script of SCRIPTS) {
    redis.defineCommand(script.command, script.keys === null ? { lua: script.lua } : { numberOfKeys: script.keys, lua: script.lua });
  }
  timeCommands(redis, telemetry);
  return redis;
}

/** The subscriber connection: ioredis subscribes again by itself after every reconnect. */
export function subscriberConnection(url: string, options: RedisOptions): Redis {
  return new (redisClass())(url, { ...options, lazyConnect: true, autoResubscribe: true, maxRetriesPerRequest: null });
}

interface SentCommand {
  name: string;
  args: unknown[];
  promise: Promise<unknown>;
}

/**
 * Count each command's failure and, once the metrics ask (`onCommand`),
 * time its round trip. Every command passes `sendCommand`, pipelined ones
 * too (a pipeline sends each of its commands through it), so this is the
 * one place that sees them all. Offline rejections count as errors and are
 * not timed: they never reached Redis.
 */
function timeCommands(redis: Redis, telemetry: EngineTelemetry): void {
  const bySha = new Map<string, string>();
  for (const script of SCRIPTS) bySha.set(createHash('sha1').update(script.lua).digest('hex'), script.operation);
  const singleUuidSha = createHash('sha1').update(PUBLISH_UUID).digest('hex');
  const send = redis.sendCommand.bind(redis) as (command: SentCommand, ...rest: unknown[]) => unknown;
  const failed = (): void => {
    telemetry.errors.command++;
  };
  (redis as unknown as { sendCommand: typeof send }).sendCommand = (command, ...rest) => {
    // ioredis's own CLIENT SETINFO on connect is refused by Redis < 7.2, and ioredis ignores that: not an error of ours.
    if (command.name === 'client') return send(command, ...rest);
    const observe = telemetry.onCommand;
    if (observe === null) {
      const result = send(command, ...rest);
      command.promise.catch(failed);
      return result;
    }
    // Named before sending: ioredis turns an EVALSHA into EVAL as it writes it when the script is new to the connection.
    let operation = command.name;
    if (operation === 'evalsha') {
      const sha = String(command.args[0]);
      operation = bySha.get(sha) ?? 'script';
      if (sha === singleUuidSha && String(command.args[PUBLISH_UUID_MODE_ARG]) === '0') operation = 'append';
    }
    const started = performance.now();
    const result = send(command, ...rest);
    command.promise.then(() => observe(operation, (performance.now() - started) / 1000), failed);
    return result;
  };
}
