/**
 * socket.io's Redis adapter on a Redis several relays share: an emit to a
 * room on one node reaches the sockets in that room on every node. Two
 * connections, as the adapter needs (one subscribes, one publishes);
 * ioredis reconnects and resubscribes by itself.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { ServerOptions } from 'socket.io';
import type { Logger } from '../../logger/logger.js';

/** How long start-up waits for Redis before giving up. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/** Channel prefix: apart from anything else on the same Redis. */
const CHANNEL_KEY = 'websock-relay:novosga';

export interface RedisLink {
  adapter: NonNullable<ServerOptions['adapter']>;
  close(): Promise<void>;
}

/**
 * Connect both clients; rejects with a one-line error when Redis cannot be
 * reached within REDIS_CONNECT_TIMEOUT_MS (the password is not in it).
 */
export async function connectRedisAdapter(url: string, logger: Logger): Promise<RedisLink> {
  const shown = redact(url);
  const options = { lazyConnect: true, connectTimeout: REDIS_CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 3 };
  const pub = new Redis(url, options);
  const sub = pub.duplicate();
  let wasReady = false;
  for (const [name, client] of [
    ['publish', pub],
    ['subscribe', sub],
  ] as const) {
    // Said once per outage, not once per retry.
    let down = false;
    client.on('error', (error: Error) => {
      if (down || !wasReady) return;
      down = true;
      logger.warn('novosga: Redis connection lost; retrying', { redis: shown, connection: name, reason: error.message });
    });
    client.on('ready', () => {
      if (down) logger.info('novosga: Redis connection back', { redis: shown, connection: name });
      down = false;
    });
  }
  const drop = (): void => {
    pub.disconnect();
    sub.disconnect();
  };
  const close = async (): Promise<void> => {
    // QUIT lets Redis end the connections cleanly; a Redis that does not answer is just dropped.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([pub.quit(), sub.quit()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1_000);
      }),
    ]);
    clearTimeout(timer);
    drop();
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([pub.connect(), sub.connect()]),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), REDIS_CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    drop();
    throw new Error(`novosga: cannot reach Redis at ${shown} (${(error as Error).message})`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  wasReady = true;
  logger.info('novosga: events shared through Redis', { redis: shown });
  return { adapter: createAdapter(pub, sub, { key: CHANNEL_KEY }), close };
}

/** The URL without its password, for logs and errors. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://?';
  }
}
