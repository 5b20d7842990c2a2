import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineHealth } from '../engine/engine.js';
import type { HttpRouter } from './http-router.js';
import { sendJson } from './http-router.js';

/** The relay's public state as far as health checks care. */
export interface HealthSource {
  readonly http: HttpRouter;
  readonly hub: { readonly size: number; readonly browserCount: number };
  readonly sessions: { readonly size: number };
  readonly shuttingDown?: boolean;
  /** The engine; a shared one (Redis) is reported, the memory engine has nothing that could fail. */
  readonly engine?: { readonly kind: string; health(): EngineHealth };
}

/** The body of `GET /health`. */
export interface HealthBody {
  status: 'ok' | 'shutting down' | 'engine down';
  uptimeSeconds: number;
  connections: number;
  browsers: number;
  sessions: number;
  /** A shared engine's state (absent with the memory engine): whether publishes can flow. */
  engine?: EngineHealth;
}

/**
 * `GET /health`: 200 `{"status":"ok",...}` while the relay serves, 503 once
 * it is shutting down or its engine is down (Redis unreachable: publishes
 * fail), so a load balancer sends new clients to a node that can serve them.
 */
export function installHealthEndpoint(relay: HealthSource, startedAt: number = Date.now()): void {
  relay.http.add('GET', '/health', function healthHandler(_req: IncomingMessage, res: ServerResponse) {
    const body = healthOf(relay, startedAt, Date.now());
    sendJson(res, body.status === 'ok' ? 200 : 503, body, { 'cache-control': 'no-store' });
  });
}

/** The health answer at `now` (pure: the relay's counters and two times). */
export function healthOf(relay: Omit<HealthSource, 'http'>, startedAt: number, now: number): HealthBody {
  const engine = relay.engine !== undefined && relay.engine.kind !== 'memory' ? relay.engine.health() : undefined;
  const body: HealthBody = {
    status: relay.shuttingDown === true ? 'shutting down' : engine?.state === 'down' ? 'engine down' : 'ok',
    uptimeSeconds: Math.max(0, Math.floor((now - startedAt) / 1000)),
    connections: relay.hub.size,
    browsers: relay.hub.browserCount,
    sessions: relay.sessions.size,
  };
  if (engine !== undefined) body.engine = engine;
  return body;
}
