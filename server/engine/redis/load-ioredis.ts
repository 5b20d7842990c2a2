import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

let loaded: typeof Redis | null = null;

/**
 * The ioredis client class, loaded on first use rather than imported: a
 * relay on the memory engine never makes a Redis connection, and loading
 * ioredis alone adds about 11 MiB to the process's resident memory. ioredis
 * is CommonJS, so it can be required synchronously where a connection is
 * made.
 */
export function redisClass(): typeof Redis {
  loaded ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
  return loaded;
}
