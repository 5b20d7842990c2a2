import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from '../../bench/lib/redis-server.js';

/**
 * One real redis-server for every test of the calling file: started before
 * the first test, stopped after the last. Its URL is read inside a test
 * (reading it earlier throws: the server is not started yet).
 */
export function redisPerFile(): { readonly url: string } {
  let server: RedisServer | null = null;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get url(): string {
      if (server === null) throw new Error('redis-server is not started yet: read its url inside a test');
      return server.url;
    },
  };
}
