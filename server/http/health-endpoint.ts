import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Relay } from '../relay.js';
import { sendJson } from './http-router.js';

/** The relay's public state as far as health checks care. */
export type HealthSource = Pick<Relay, 'hub' | 'sessions'> & { readonly shuttingDown?: boolean };

/** The body of `GET /health`. */
export interface HealthBody {
  status: 'ok' | 'shutting down';
  uptimeSeconds: number;
  connections: number;
  browsers: number;
  sessions: number;
}

/**
 * `GET /health`: 200 `{"status":"ok",...}` while the relay serves, 503 once
 * it is shutting down, so a load balancer stops sending it new clients.
 */
export function installHealthEndpoint(relay: Relay & HealthSource, startedAt: number = Date.now()): void {
  relay.http.add('GET', '/health', function healthHandler(_req: IncomingMessage, res: ServerResponse) {
    const body = healthOf(relay, startedAt, Date.now());
    sendJson(res, body.status === 'ok' ? 200 : 503, body, { 'cache-control': 'no-store' });
  });
}

/** The health answer at `now` (pure: the relay's counters and two times). */
export function healthOf(relay: HealthSource, startedAt: number, now: number): HealthBody {
  return {
    status: relay.shuttingDown === true ? 'shutting down' : 'ok',
    uptimeSeconds: Math.max(0, Math.floor((now - startedAt) / 1000)),
    connections: relay.hub.size,
    browsers: relay.hub.browserCount,
    sessions: relay.sessions.size,
  };
}
