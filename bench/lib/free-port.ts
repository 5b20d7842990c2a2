import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago, for a server that cannot
 * listen on port 0 and report its port (redis-server, nginx, HAProxy).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
