/**
 * The Novo SGA event server as an application of the relay: socket.io at
 * `[novosga] path` (default /socket.io) on the relay's port, the panel and
 * attendant pages at /novosga/. See docs/novosga.md.
 */
import { join } from 'node:path';
import { demoPaths } from '../../demo/demo-paths.js';
import { sendJson } from '../../http/http-router.js';
import type { Relay } from '../../relay.js';
import { clientIp } from '../../transport/client-ip.js';
import { IpMatcher } from '../../transport/ip-match.js';
import { NovosgaEventServer } from './event-server.js';
import { metricsFor } from '../../metrics/prometheus.js';
import { registerNovosgaMetrics } from './novosga-metrics.js';
import { connectRedisAdapter, type RedisLink } from './redis-adapter.js';

export { NovosgaEventServer } from './event-server.js';

/** Where the panel and attendant pages are served. */
export const PAGES_PREFIX = '/novosga/';

export interface NovosgaOptions {
  /** How long a connected socket may stay unregistered (default 30 s). */
  registerTimeoutMs?: number;
}

/** The built pages (webClient/build.mjs writes them). */
export function novosgaPagesDir(): string {
  return join(demoPaths().root, 'webClient', 'novosga', 'dist');
}

/**
 * Mount the event server on the relay (before or after start()). Connects
 * to `[novosga] redis` first when it is set.
 * @throws when the configuration has no secret, or Redis cannot be reached.
 * @example const novosga = await installNovosga(relay); await relay.start();
 */
export async function installNovosga(relay: Relay, options: NovosgaOptions = {}): Promise<NovosgaEventServer> {
  const config = relay.config;
  if (config.novosgaSecret === null) throw new Error('novosga: no secret configured ([novosga] secret or secretFile)');
  const redis: RedisLink | null = config.novosgaRedis ? await connectRedisAdapter(config.novosgaRedis, relay.logger) : null;
  const trusted = new IpMatcher(config.trustedProxies);
  const server = new NovosgaEventServer({
    path: config.novosgaPath,
    secret: config.novosgaSecret,
    logger: relay.logger,
    clientIp: (req) => clientIp(req, trusted),
    // The relay's connection limits count its own clients and these together.
    admit(ip, connectedFromIp) {
      if (relay.shuttingDown) return 'the relay is shutting down';
      if (config.maxClients > 0 && relay.hub.size + server.clientCount >= config.maxClients) {
        return `the relay is full (${config.maxClients} clients)`;
      }
      if (config.maxPerIP > 0 && relay.hub.countFromIp(ip) + connectedFromIp >= config.maxPerIP) {
        return `too many connections from ${ip} (limit ${config.maxPerIP})`;
      }
      return null;
    },
    maxEventRate: config.maxMessageRate,
    registerTimeoutMs: options.registerTimeoutMs ?? 30_000,
    ...(redis ? { adapter: redis.adapter } : {}),
  });
  if (redis) server.afterClose(() => redis.close());
  registerNovosgaMetrics(metricsFor(relay).registry, server);
  relay.mounts.mount(config.novosgaPath, server);
  relay.http.addStatic(PAGES_PREFIX, novosgaPagesDir());
  // The pages load socket.io's client from wherever the event server is mounted.
  relay.http.add('GET', `${PAGES_PREFIX}settings.json`, (_req, res) => sendJson(res, 200, { path: config.novosgaPath }));
  relay.onStop(function novosgaOnStop() {
    server
      .close(Math.min(config.shutdownGraceMs, 2_000))
      .catch((error: Error) => relay.logger.error('novosga: stop failed', { reason: error.message }));
  });
  relay.logger.info('novosga event server mounted', { path: config.novosgaPath, pages: PAGES_PREFIX, redis: redis !== null });
  return server;
}
