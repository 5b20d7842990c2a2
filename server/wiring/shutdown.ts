import type { WebSocketServer } from 'ws';
import { CloseCode } from '../../include/protocol.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Engine } from '../engine/engine.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import type { JobTracker } from '../jobs/index.js';
import type { Keepalive } from '../keepalive.js';
import type { ReadGate } from '../limits/read-gate.js';
import type { Logger } from '../logger/logger.js';
import type { PusherWsServer } from '../pusher/ws/pusher-ws-server.js';
import type { Hub } from '../routing/hub.js';
import type { Connection } from '../transport/connection.js';
import type { Listener } from '../transport/http-listener.js';
import type { ClientAdmission } from './client-admission.js';

/** postShutdown runs after everything is closed; within the serve command's 5 s stop margin. */
const POST_SHUTDOWN_LIMIT_MS = 3_000;

/** Everything a stop has to end, in the order it ends them. */
export interface ShutdownParts {
  config: RelayConfig;
  logger: Logger;
  hooks: HookRegistry;
  stopHooks: readonly (() => void | Promise<void>)[];
  keepalive: Keepalive;
  stopSweep: (() => void) | null;
  delivery: Delivery;
  admission: ClientAdmission;
  listener: Listener | null;
  pusherWs: PusherWsServer | null;
  hub: Hub;
  wss: WebSocketServer;
  engine: Engine;
  repliesUnread: Map<Connection, ReadGate>;
  jobs: JobTracker;
}

/**
 * Stop accepting, close every client with 1001, let queued frames drain
 * for at most `shutdownGraceMs`, then drop whatever is left; the engine
 * stops last, so what a client was sent before is settled in it.
 */
export async function shutDown(parts: ShutdownParts): Promise<void> {
  const { config, logger, hooks, hub, listener } = parts;
  // preShutdown may delay the stop; it shares shutdownGrace with the drain below.
  const deadline = Date.now() + config.shutdownGraceMs;
  await hooks.beforeShutdown(config.shutdownGraceMs);
  const stopping: Promise<void>[] = [];
  const failed = (error: unknown): void => logger.error('a stop hook failed', { reason: (error as Error).message });
  for (const hook of parts.stopHooks) {
    try {
      const result = hook();
      if (result instanceof Promise) stopping.push(result.catch(failed));
    } catch (error) {
      failed(error);
    }
  }
  parts.keepalive.stop();
  parts.stopSweep?.();
  parts.delivery.stop();
  parts.jobs.stop();
  parts.admission.stopTimers();
  const closed = listener ? new Promise<void>((resolve) => listener.server.close(() => resolve())) : Promise.resolve();
  // Pusher clients are told 4200 (reconnect now): pusher-js comes back at once, to another node if there is one.
  const pusherGone = parts.pusherWs?.stop(Math.max(0, deadline - Date.now()));
  for (const conn of hub.all()) conn.drainAndClose(CloseCode.GoingAway, 'server shutting down');
  await waitForClients(hub, Math.max(0, deadline - Date.now()));
  await pusherGone;
  for (const conn of hub.all()) conn.terminate();
  parts.repliesUnread.clear();
  parts.admission.endAll();
  listener?.closeAllConnections();
  await closed;
  parts.wss.close();
  await Promise.all(stopping);
  await parts.engine.stop();
  await hooks.afterShutdown(POST_SHUTDOWN_LIMIT_MS);
  logger.info('relay stopped');
}

function waitForClients(hub: Hub, ms: number): Promise<void> {
  if (hub.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const deadline = Date.now() + ms;
    const check = setInterval(() => {
      if (hub.size === 0 || Date.now() >= deadline) {
        clearInterval(check);
        resolve();
      }
    }, 10);
  });
}
