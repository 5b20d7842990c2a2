import type { WebSocket } from 'ws';
import { CloseCode, ServerOpcode } from '../../include/protocol.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Engine } from '../engine/engine.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import { InboundThrottle } from '../limits/inbound-throttle.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { handleFrame, type PipelineDeps } from '../protocol/message-pipeline.js';
import type { UuidSigner } from '../protocol/uuid-signer.js';
import type { RelayContext } from '../resources/relay-context.js';
import type { Resource } from '../resources/resource.js';
import type { Hub } from '../routing/hub.js';
import type { SessionStore } from '../routing/session-store.js';
import { padReadyForPhp } from '../transport/backend-handshake.js';
import type { Connection } from '../transport/connection.js';

/** What opening an admitted connection touches. */
export interface OpeningParts {
  config: RelayConfig;
  logger: Logger;
  stats: RelayStats;
  hub: Hub;
  signer: UuidSigner;
  hooks: HookRegistry;
  delivery: Delivery;
  sessions: SessionStore;
  engine: Engine;
  context: RelayContext;
  pipeline: PipelineDeps;
}

/**
 * Register an admitted connection, wire its socket's events to the message
 * pipeline and to clean-up, announce it to a shared engine and then send
 * `ready` (a uuid goes out only once every node can route to it).
 */
export function openConnection(parts: OpeningParts, conn: Connection, ws: WebSocket, resource: Resource): void {
  const { config, logger, stats, hub, hooks, sessions, pipeline, context: ctx } = parts;
  const presence = parts.engine.presence;
  const displaced = hub.add(conn);
  if (displaced) {
    logger.info('ident taken over by a newer connection', { ident: conn.ident, old: displaced.id, client: conn.id });
  }
  const session = conn.protocol === 2 && conn.kind === 'browser' ? sessions.open(conn) : null;
  const throttle = config.maxMessageRate > 0 ? new InboundThrottle(ws, config.maxMessageRate, () => stats.throttled++) : null;
  ws.on('message', function connectionOnMessage(data: Buffer, isBinary: boolean) {
    try {
      handleFrame(conn, data, resource, pipeline, isBinary);
      throttle?.onMessage();
    } catch (error) {
      // handleFrame never throws by design; if a bug makes it, only this client pays.
      logger.error('message handler failed: closing', { client: conn.id, ip: conn.ip, reason: (error as Error)?.message });
      conn.close(CloseCode.InternalError, 'internal error');
    }
  });
  ws.on('pong', function connectionOnPong() {
    conn.alive = true;
  });
  ws.on('error', function connectionOnError(error: Error) {
    logger.info('connection error', { client: conn.id, ip: conn.ip, reason: error.message });
    resource.onError?.(conn, error, ctx);
  });
  ws.on('close', function connectionOnClose(received: number) {
    // When the relay closed, the client's answer is not read (ws reports 1005/1006): say the code we sent.
    const code = conn.closeCodeSent ?? received;
    hooks.closing(conn, code);
    conn.dispose();
    throttle?.dispose();
    sessions.detach(conn);
    hub.remove(conn);
    if (hub.byKey(conn.key) === undefined) void presence.release({ kind: 'uuid', key: conn.key }).catch(() => {});
    if (conn.ident && hub.byIdent(conn.ident) === undefined) void presence.release({ kind: 'ident', ident: conn.ident }).catch(() => {});
    logger.info('client disconnected', { client: conn.id, code });
    resource.onClose?.(conn, code, ctx);
    hooks.closed(conn, code);
  });
  logger.info('client connected', {
    client: conn.id,
    kind: conn.kind,
    ip: conn.ip,
    path: conn.resource,
    ident: conn.ident,
    protocol: conn.protocol,
    transport: conn.transport,
  });
  if (conn.kind === 'backend' && conn.protocol === 1) conn.holdFor(config.backendReadyDelayMs);
  const ready: { opcode: string; uuid: string; protocol?: number; epoch?: string; resumeToken?: string } = {
    opcode: ServerOpcode.Ready,
    uuid: conn.uuid,
  };
  if (conn.protocol === 2) ready.protocol = 2;
  if (session !== null) ready.epoch = session.epoch;
  // Only v2 pages can resume: their resume credential goes to them alone, never into a forwarded packet.
  if (conn.protocol === 2 && conn.kind === 'browser') ready.resumeToken = parts.signer.resumeToken(conn.key);
  const readyJson = JSON.stringify(ready);
  const delivery = parts.delivery;
  const sendReady = (): void => {
    delivery.control(conn, conn.kind === 'backend' && conn.protocol === 1 ? padReadyForPhp(readyJson) : readyJson);
    resource.onOpen?.(conn, ctx);
    hooks.connected(conn);
  };
  const announced = announce(parts.engine, conn, session);
  if (announced === null) {
    sendReady();
    return;
  }
  // A shared engine: `ready` (the uuid) goes out once every node can route to it.
  announced.then(sendReady, (error: Error) => {
    logger.warn('could not announce a connection to the engine: publishes to it fail until it is back', {
      client: conn.id,
      reason: error.message,
    });
    if (conn.open) sendReady();
  });
}

/** Tell the engine this node holds the connection's uuid, Ident and page log; null when nothing is shared. */
function announce(engine: Engine, conn: Connection, session: { key: string; epoch: string } | null): Promise<unknown> | null {
  if (engine.kind === 'memory') return null;
  const { presence, log } = engine;
  const steps: Promise<unknown>[] = [presence.hold({ kind: 'uuid', key: conn.key })];
  if (conn.ident) steps.push(presence.hold({ kind: 'ident', ident: conn.ident }));
  if (session !== null) steps.push(log.create(session.key, session.epoch));
  return Promise.all(steps);
}
