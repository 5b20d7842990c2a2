import { Redis, type RedisOptions } from 'ioredis';
import type { LogLimits } from '../session-log.js';
import { CREATE_LOG, HOLDER, LATEST_PROGRESS, PUBLISH_IDENT, PUBLISH_UUID, READ_SINCE, RELEASE, TRIM } from './lua-scripts.js';
import type { RedisKeys } from './redis-keys.js';

type Arg = string | number | Buffer;

/** The command connection with the engine's scripts defined on it (EVALSHA, EVAL again after a restart). */
export type EngineRedis = Redis & {
  wsPublishUuid(...args: Arg[]): Promise<[number, number, string]>;
  wsPublishIdent(...args: Arg[]): Promise<number>;
  wsHolder(key: string, nodeKeyPrefix: string): Promise<string | null>;
  wsRelease(key: string, nodeId: string): Promise<number>;
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
}

/** A command connection: fails at once while Redis is unreachable (a publish is then `failed`, never queued). */
export function commandConnection(url: string, options: RedisOptions): EngineRedis {
  const redis = new Redis(url, {
    ...options,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  }) as EngineRedis;
  redis.defineCommand('wsPublishUuid', { numberOfKeys: 5, lua: PUBLISH_UUID });
  redis.defineCommand('wsPublishIdent', { numberOfKeys: 1, lua: PUBLISH_IDENT });
  redis.defineCommand('wsHolder', { numberOfKeys: 1, lua: HOLDER });
  redis.defineCommand('wsRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('wsCreateLog', { numberOfKeys: 4, lua: CREATE_LOG });
  redis.defineCommand('wsReadSince', { numberOfKeys: 2, lua: READ_SINCE });
  redis.defineCommand('wsTrim', { numberOfKeys: 2, lua: TRIM });
  redis.defineCommand('wsLatestProgress', { numberOfKeys: 2, lua: LATEST_PROGRESS });
  return redis;
}

/** The subscriber connection: ioredis subscribes again by itself after every reconnect. */
export function subscriberConnection(url: string, options: RedisOptions): Redis {
  return new Redis(url, { ...options, lazyConnect: true, autoResubscribe: true, maxRetriesPerRequest: null });
}
