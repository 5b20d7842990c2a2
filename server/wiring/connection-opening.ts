import type { WebSocket } from 'ws';
import { CloseCode } from '../../include/protocol.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Engine } from '../engine/engine.js';
import type { HookRegistry } from '../hooks/hook-registry.js';
import type { JobTracker } from '../jobs/index.js';
import type { InFlightBudget } from '../limits/in-flight-budget.js';
import { InboundThrottle } from '../limits/inbound-throttle.js';
import { ReadGate, ReadHold } from '../limits/read-gate.js';
import { UnsettledPublishes } from '../limits/unsettled-publishes.js';
import type { Logger } from '../logger/logger.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { relayCodec } from '../protocol/codecs/relay-codecs.js';
import { handleFrame, type PipelineDeps } from '../protocol/message-pipeline.js';
import type { UuidSigner } from '../protocol/uuid-signer.js';
import type { RelayContext } from '../resources/relay-context.js';
import type { Resource } from '../resources/resource.js';
import type { Hub } from '../routing/hub.js';
import type { SessionStore } from '../routing/session-store.js';
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
  inFlight: InFlightBudget;
  /** Connections not read because the replies to them are not read (over maxBuffered); resumed once drained. */
  repliesUnread: Map<Connection, ReadGate>;
  /** Jobs whose publisher this connection may be: told when it closes (the grace before `lost` starts). */
  jobs: JobTracker;
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
  const gate = new ReadGate(ws);
  // A shared engine answers after a round trip through Redis: bound what one connection keeps waiting.
  if (parts.engine.kind !== 'memory') conn.unsettled = new UnsettledPublishes(gate);
  const throttle =
    config.maxMessageRate > 0 ? new InboundThrottle(gate.as(ReadHold.Rate), config.maxMessageRate, () => stats.throttled++) : null;
  const inFlight = parts.inFlight;
  const held = inFlight.entry(function unfinishedTooLong() {
    stats.inFlightRefusals.timeout++;
    ctx.error(conn, 'MESSAGE_TIMEOUT');
  });
  conn.inFlight = held;
  conn.port.watchInput(function connectionRead(bytes: number) {
    if (inFlight.read(held, bytes) || conn.closing) return;
    // Over the relay-wide budget of unfinished messages: this client gives up its message, nobody else.
    stats.inFlightRefusals.budget++;
    inFlight.release(held);
    ctx.error(conn, 'IN_FLIGHT_FULL');
  });
  const maxBuffered = config.maxBufferedBytes;
  const repliesUnread = parts.repliesUnread;
  const jobs = parts.jobs;
  ws.on('message', function connectionOnMessage(data: Buffer, isBinary: boolean) {
    inFlight.completed(held);
    try {
      handleFrame(conn, data, resource, pipeline, isBinary);
      throttle?.onMessage();
      // Replies count against maxBuffered too: a client that sends without reading is not read until it does.
      if (conn.bufferedBytes > maxBuffered && !gate.has(ReadHold.Replies) && conn.open) {
        stats.readsPaused++;
        gate.hold(ReadHold.Replies);
        repliesUnread.set(conn, gate);
      }
    } catch (error) {
      // handleFrame never throws by design; if a bug makes it, only this client pays.
      logger.error('message handler failed: closing', { client: conn.id, ip: conn.ip, reason: (error as Error)?.message });
      conn.close(CloseCode.InternalError, 'internal error');
    }
  });
  ws.on('pong', function connectionOnPong(data: Buffer) {
    inFlight.control(held, data.length);
    conn.alive = true;
  });
  ws.on('ping', function connectionOnPing(data: Buffer) {
    inFlight.control(held, data.length);
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
    inFlight.release(held);
    repliesUnread.delete(conn);
    sessions.detach(conn);
    jobs.socketClosed(conn.id);
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
  const readyJson = readyPacket(parts.signer, conn, session?.epoch ?? null);
  const delivery = parts.delivery;
  const sendReady = (): void => {
    delivery.control(conn, readyJson);
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

/** `ready`: the connection's uuid, and to a v2 page its epoch and resumeToken. */
export function readyPacket(signer: UuidSigner, conn: Connection, epoch: string | null): string {
  return relayCodec(conn.protocol).greeting({
    uuid: conn.uuid,
    epoch,
    // Only v2 pages can resume: their resume credential goes to them alone, never into a forwarded packet.
    resumeToken: conn.protocol === 2 && conn.kind === 'browser' ? signer.resumeToken(conn.key) : null,
    paddedForPhp: conn.kind === 'backend' && conn.protocol === 1,
  });
}

/** Connections paused for unread replies that drained to half of maxBuffered are read again. */
export function readDrained(repliesUnread: Map<Connection, ReadGate>, maxBufferedBytes: number): void {
  if (repliesUnread.size === 0) return;
  const low = maxBufferedBytes / 2;
  for (const [conn, gate] of repliesUnread) {
    if (conn.closing) repliesUnread.delete(conn);
    else if (conn.bufferedBytes <= low) {
      repliesUnread.delete(conn);
      gate.release(ReadHold.Replies);
    }
  }
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
