import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Gauge, type Registry } from 'prom-client';
import { CloseCode } from '../../../include/protocol.js';
import { PUSHER_MIN_PROTOCOL, PUSHER_PROTOCOL, PusherErrors, type PusherErrorName } from '../../../include/pusher-protocol.js';
import type { Delivery } from '../../delivery/delivery.js';
import type { Channels } from '../../engine/channels.js';
import type { HookRegistry } from '../../hooks/hook-registry.js';
import type { Logger } from '../../logger/logger.js';
import type { AcceptedWebSocket } from '../../transport/accepted-websocket.js';
import type { Rejection } from '../../transport/admission.js';
import { Connection } from '../../transport/connection.js';
import type { PusherApp } from '../apps/pusher-app.js';
import type { PusherApps } from '../apps/pusher-apps.js';
import { InboundThrottle } from '../../limits/inbound-throttle.js';
import { pusherCodec } from '../../protocol/codecs/pusher-codec.js';
import { pusherRefusal, type PusherRefusal } from './app-refusal.js';
import { codedErrorFrame, errorFrame, PING_FRAME } from './pusher-frames.js';
import { PusherClient } from './pusher-client.js';
import { LocalSubscriptions } from './local-subscriptions.js';
import { PusherSession } from './pusher-session.js';

/** The WebSocket path of a Pusher app: `/app/{key}`. */
const APP_PATH = /^\/app\/([A-Za-z0-9_.-]{1,128})$/;
const APP_PREFIX = '/app/';
/** Frames a connection may have waiting for the engine before it is told to reconnect later. */
const MAX_PENDING = 1_000;

/** The relay's admission refusals as Pusher codes. */
const RELAY_REFUSALS: Readonly<Record<Rejection['cause'], PusherErrorName>> = {
  shutdown: 'SHUTTING_DOWN',
  full: 'OVER_CAPACITY',
  'per-ip': 'OVER_CAPACITY',
  origin: 'ORIGIN',
  'backend-ip': 'ORIGIN',
  app: 'ORIGIN',
  resource: 'UNKNOWN_APP',
};

/** The applications' connection hooks, as the relay runs them for /web (server/hooks/hook-registry.ts). */
export type ConnectionHooks = Pick<HookRegistry, 'has' | 'admit' | 'connected' | 'closing' | 'closed'>;

export interface PusherWsOptions {
  apps: PusherApps;
  channels: Channels;
  delivery: Delivery;
  hooks: ConnectionHooks;
  logger: Logger;
  /** Seconds of silence after which pusher-js pings (and so does the relay). Pusher: 120. */
  activityTimeoutS: number;
  /** How long a ping may go unanswered before the connection is closed with 4201. Pusher: 30 s. */
  pongTimeoutMs: number;
  maxChunks: number;
  maxMessageBytes: number;
  /** The relay's maxMessageRate per connection (0: none); over it the socket is read later, nothing is dropped. */
  maxMessageRate: number;
  /** Counts a throttled connection (the relay's stats). */
  onThrottle: () => void;
  /** Where the WebSocket side's gauges are registered (the relay's /metrics). */
  registry: Registry;
  /** How many connections the relay as a whole still admits (maxClients); Infinity when unlimited. */
  roomLeft: () => number;
}

/**
 * Pusher protocol 7 at `/app/{key}` on the relay's port: admits the
 * connection for its app (the relay's rules, then the applications'
 * preConnect), answers `pusher:connection_established`, decodes every
 * frame (pusher-inbound.ts) and hands it to the connection's
 * PusherSession; runs postConnect, preDisconnect and postDisconnect as
 * /web does; owns the activity timer (pusher:ping, 4201) and the graceful
 * close (4200, reconnect now) on shutdown.
 */
export class PusherWsServer {
  readonly subscriptions: LocalSubscriptions;
  readonly #options: PusherWsOptions;
  /** This node's number in every socket_id (`<node>.<connection>`): socket_ids differ across nodes. */
  readonly #nodeNumber = randomInt(1, 2 ** 31 - 1);
  /** Connections an application's preConnect is deciding on, with their app's id: counted, and ended by stop(). */
  readonly #admitting = new Map<AcceptedWebSocket['ws'], string>();
  #sweep: NodeJS.Timeout | null = null;
  #closing = false;

  constructor(options: PusherWsOptions) {
    this.#options = options;
    this.subscriptions = new LocalSubscriptions(options.delivery, (client) =>
      this.#close(client, 'PusherUnauthorized', 'terminated by the app'),
    );
    options.channels.attach(this.subscriptions);
    const subscriptions = this.subscriptions;
    const apps = options.apps;
    new Gauge({
      name: 'websock_pusher_connections',
      help: 'Pusher WebSocket connections on this node, by app.',
      labelNames: ['app'] as const,
      registers: [options.registry],
      // Read when scraped: the count is kept per app anyway.
      collect() {
        for (const app of apps.all()) this.set({ app: app.name }, subscriptions.countApp(app.id));
      },
    });
  }

  /** Is this an upgrade path the Pusher side answers? (Also for unknown keys: they are told 4001.) */
  serves(path: string): boolean {
    return path.startsWith(APP_PREFIX);
  }

  /** Connections, and those an application is still deciding on (maxClients counts them all). */
  get size(): number {
    return this.subscriptions.size + this.#admitting.size;
  }

  start(): void {
    const interval = Math.max(50, Math.min(1_000, this.#options.pongTimeoutMs / 2));
    this.#sweep = setInterval(() => this.#checkActivity(Date.now()), interval);
  }

  /** Tell every client to reconnect now (4200) and wait until they are gone and unsubscribed (at most `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.#closing = true;
    if (this.#sweep !== null) clearInterval(this.#sweep);
    this.#sweep = null;
    const clients = [...this.subscriptions.clients()];
    for (const client of clients) {
      this.#options.delivery.reply(client.conn, errorFrame('SHUTTING_DOWN'));
      client.conn.drainAndClose(CloseCode.PusherReconnect, 'server shutting down');
    }
    const gone = Promise.all(clients.map((client) => new Promise<void>((resolve) => client.conn.ws.once('close', () => resolve()))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const client of this.subscriptions.clients()) client.conn.terminate();
    // Still waiting for an application's verdict: nothing was sent to them, so they are cut.
    for (const ws of this.#admitting.keys()) ws.terminate();
    this.#admitting.clear();
    await Promise.all(clients.map((client) => client.settled()));
  }

  /**
   * An accepted WebSocket at `/app/…`: refused with Pusher's code, or
   * connected. `refused` is the relay's own admission verdict (its
   * allowedOrigins, maxClients, maxPerIP, shutdown), told as Pusher's code;
   * the app's own checks follow, then the applications' preConnect.
   */
  open(accepted: AcceptedWebSocket, id: number, refused: Rejection['cause'] | null): void {
    const { ws, port, applicant, transport } = accepted;
    const o = this.#options;
    const conn = new Connection({
      id,
      ws,
      port,
      transport,
      kind: 'browser',
      // JSON text frames, no frame gap: the v2 framing (the Pusher codec reads them).
      protocol: 2,
      resource: applicant.path,
      ip: applicant.ip,
      ident: null,
      origin: applicant.origin,
      uuid: '',
      key: '',
      maxChunks: o.maxChunks,
      maxMessageBytes: o.maxMessageBytes,
      frameGapMs: 0,
    });
    ws.on('error', () => {});
    const refusal = refused === null ? this.#refusal(accepted) : RELAY_REFUSALS[refused];
    if (refusal !== null) {
      this.#refuse(conn, PusherErrors[refusal], refusal);
      return;
    }
    const app = o.apps.byKey(APP_PATH.exec(applicant.path)![1]!)!;
    const hooks = o.hooks;
    if (!hooks.has('preConnect', conn.resource)) {
      this.#connect(conn, app);
      return;
    }
    // Nothing is read while the application decides: what the client sends waits in the socket.
    port.pause();
    const admitting = this.#admitting;
    admitting.set(ws, app.id);
    // Hooks read url, headers and socket.remoteAddress, which an Http2ServerRequest has too.
    void hooks.admit(conn, accepted.request as IncomingMessage).then((rejection) => {
      admitting.delete(ws);
      if (ws.readyState !== ws.OPEN) return;
      if (rejection !== null) this.#refuse(conn, pusherRefusal(rejection), 'app');
      else if (this.#closing) this.#refuse(conn, PusherErrors.SHUTTING_DOWN, 'SHUTTING_DOWN');
      else {
        this.#connect(conn, app);
        port.resume();
      }
    });
  }

  /** Tell a client why it is refused (`pusher:error`), then close with the same code. */
  #refuse(conn: Connection, { code, message }: PusherRefusal, cause: PusherErrorName | 'app'): void {
    this.#options.logger.info('pusher client refused', { ip: conn.ip, code, cause, path: conn.resource.slice(0, 80) });
    this.#options.delivery.reply(conn, codedErrorFrame(code, message));
    conn.close(code as CloseCode, message);
  }

  /** An admitted connection: registered, wired to its session, greeted; postConnect runs after the greeting. */
  #connect(conn: Connection, app: PusherApp): void {
    const o = this.#options;
    const { ws, id } = conn;
    const client = new PusherClient(conn, app, `${this.#nodeNumber}.${id}`, Date.now());
    const session = new PusherSession(client, o.channels, this.subscriptions, o.delivery, o.logger);
    this.subscriptions.addClient(client);
    const { logger, hooks } = o;
    const codec = pusherCodec(app.limits);
    const throttle = o.maxMessageRate > 0 ? new InboundThrottle(ws, o.maxMessageRate, o.onThrottle) : null;
    const close = (name: Parameters<PusherWsServer['closeWith']>[1]): void => this.closeWith(client, name);
    ws.on('message', function pusherOnMessage(data: Buffer, isBinary: boolean) {
      client.lastSeen = Date.now();
      client.pingSentAt = 0;
      if (conn.closing) return;
      if (isBinary) {
        o.delivery.reply(conn, errorFrame('BAD_MESSAGE', 'binary frames are not accepted: send text'));
        return;
      }
      if (client.pending >= MAX_PENDING) {
        close('OVER_CAPACITY');
        return;
      }
      try {
        throttle?.onMessage();
        session.handle(codec.decode(data.toString('utf8')));
      } catch (error) {
        logger.error('pusher message handler failed: closing', { client: conn.id, reason: (error as Error).message });
        conn.close(CloseCode.InternalError, 'internal error');
      }
    });
    ws.on('close', function pusherOnClose(received: number) {
      // When the relay closed, the client's answer is not read (ws reports 1005/1006): say the code we sent.
      const code = conn.closeCodeSent ?? received;
      hooks.closing(conn, code);
      conn.dispose();
      throttle?.dispose();
      session.closed();
      // After the session has left its channels (queued before this), as /web's runs after onClose.
      client.enqueue(() => hooks.closed(conn, code));
    });
    logger.info('pusher client connected', { client: id, app: app.name, ip: conn.ip, transport: conn.transport });
    o.delivery.control(conn, codec.greeting({ socketId: client.socketId, activityTimeoutS: o.activityTimeoutS }));
    hooks.connected(conn);
  }

  /** Close `client` with the error's code, telling it why first. */
  closeWith(client: PusherClient, name: 'OVER_CAPACITY' | 'PONG_TIMEOUT' | 'SHUTTING_DOWN'): void {
    this.#options.delivery.reply(client.conn, errorFrame(name));
    client.conn.close(PusherErrors[name].code as CloseCode, PusherErrors[name].message);
  }

  #close(client: PusherClient, code: 'PusherUnauthorized', reason: string): void {
    this.#options.delivery.reply(client.conn, errorFrame('UNAUTHORIZED', reason));
    client.conn.close(CloseCode[code], reason);
  }

  #refusal({ applicant, request }: AcceptedWebSocket): PusherErrorName | null {
    if (this.#closing) return 'SHUTTING_DOWN';
    const match = APP_PATH.exec(applicant.path);
    const app = match === null ? undefined : this.#options.apps.byKey(match[1]!);
    if (app === undefined) return 'UNKNOWN_APP';
    const protocol = new URLSearchParams(queryOf(request.url)).get('protocol');
    if (protocol === null) return 'NO_PROTOCOL';
    const version = /^\d{1,2}$/.test(protocol) ? Number(protocol) : NaN;
    if (!(version >= PUSHER_MIN_PROTOCOL && version <= PUSHER_PROTOCOL)) return 'BAD_PROTOCOL';
    if (app.allowedOrigins.length > 0 && (applicant.origin === null || !app.allowedOrigins.includes(applicant.origin))) return 'ORIGIN';
    if (app.limits.maxConnections > 0 && this.#countApp(app.id) >= app.limits.maxConnections) return 'OVER_CAPACITY';
    if (this.#options.roomLeft() <= 0) return 'OVER_CAPACITY';
    return null;
  }

  /** Connections of an app on this node, those being decided on included. */
  #countApp(appId: string): number {
    let count = this.subscriptions.countApp(appId);
    for (const admitting of this.#admitting.values()) if (admitting === appId) count++;
    return count;
  }

  /** Ping the silent; close (4201) those that did not answer in time. */
  #checkActivity(now: number): void {
    const idleMs = this.#options.activityTimeoutS * 1000;
    for (const client of this.subscriptions.clients()) {
      if (client.conn.closing) continue;
      if (client.pingSentAt !== 0) {
        if (now - client.pingSentAt > this.#options.pongTimeoutMs) this.closeWith(client, 'PONG_TIMEOUT');
      } else if (now - client.lastSeen > idleMs) {
        client.pingSentAt = now;
        this.#options.delivery.control(client.conn, PING_FRAME);
      }
    }
  }
}

function queryOf(url: unknown): string {
  if (typeof url !== 'string') return '';
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}
