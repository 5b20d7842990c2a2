import type { Redis, RedisOptions } from 'ioredis';
import { redisClass } from './load-ioredis.js';
import { ANNOUNCE, ANNOUNCE_BEGIN, CHANNEL_STATE, DEAD_NODES, LEAVE, REAP, SUBSCRIBE, UNSUBSCRIBE } from './channel-scripts.js';

export type Arg = string | number;

/** The channels' command connection with their scripts defined on it (EVALSHA, EVAL again after a restart). */
export type ChannelRedis = Redis & {
  wsChannelSubscribe(...args: Arg[]): Promise<[number, number, number]>;
  wsChannelUnsubscribe(...args: Arg[]): Promise<[number, number]>;
  wsChannelState(...args: string[]): Promise<(string | number)[]>;
  wsChannelDeadNodes(...args: string[]): Promise<(string | number)[]>;
  wsChannelReap(...args: Arg[]): Promise<(string | number)[]>;
  wsChannelLeave(...args: Arg[]): Promise<(string | number)[]>;
  wsChannelAnnounceBegin(...args: Arg[]): Promise<(string | number)[]>;
  wsChannelAnnounce(...args: Arg[]): Promise<string[]>;
};

/** A command connection that fails at once while Redis is unreachable (a subscribe is then refused, never queued). */
export function channelConnection(url: string, options: RedisOptions): ChannelRedis {
  const redis = new (redisClass())(url, {
    ...options,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  }) as ChannelRedis;
  redis.defineCommand('wsChannelSubscribe', { numberOfKeys: 6, lua: SUBSCRIBE });
  redis.defineCommand('wsChannelUnsubscribe', { numberOfKeys: 6, lua: UNSUBSCRIBE });
  redis.defineCommand('wsChannelState', { numberOfKeys: 3, lua: CHANNEL_STATE });
  redis.defineCommand('wsChannelDeadNodes', { numberOfKeys: 2, lua: DEAD_NODES });
  redis.defineCommand('wsChannelReap', { numberOfKeys: 0, lua: REAP });
  redis.defineCommand('wsChannelLeave', { numberOfKeys: 0, lua: LEAVE });
  redis.defineCommand('wsChannelAnnounceBegin', { numberOfKeys: 3, lua: ANNOUNCE_BEGIN });
  redis.defineCommand('wsChannelAnnounce', { numberOfKeys: 5, lua: ANNOUNCE });
  return redis;
}
