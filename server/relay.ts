import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { toHttpUrl, toWebSocketUrl } from '../include/address.js';
import { ClientOpcode, CloseCode, ServerOpcode, SUBPROTOCOL_V2 } from '../include/protocol.js';
import type { RelayConfig } from './config/relay-config.js';
import { HookRegistry } from './hooks/hook-registry.js';
import { HttpRouter } from './http/http-router.js';
import { installHttpApi } from './http/publish-api.js';
import { metricsFor } from './metrics/prometheus.js';
import { Keepalive } from './keepalive.js';
import { silentLogger, type Logger } from './logger/logger.js';
import { RelayStats } from './metrics/relay-stats.js';
import { handleFrame, type PipelineDeps } from './protocol/message-pipeline.js';
import { routingKey, UuidSigner } from './protocol/uuid-signer.js';
import { RelayContext } from './resources/relay-context.js';
import { RelayResource } from './resources/relay-resource.js';
import type { Resource } from './resources/resource.js';
import { HandshakeLimiter } from './limits/handshake-limiter.js';
import { HttpConnectionCap } from './limits/http-connection-cap.js';
import { InboundThrottle } from './limits/inbound-throttle.js';
import { Hub } from './routing/hub.js';
import { handleResume } from './routing/resume.js';
import { PublishPolicy } from './routing/publish-policy.js';
import { Router } from './routing/router.js';
import { SessionStore } from './routing/session-store.js';
import { padHandshakeHeaders, padReadyForPhp } from './transport/backend-handshake.js';
import { PhpOpcodeFixer } from './transport/php-opcode-fixer.js';
import { admit, readApplicant, type AdmissionRules, type Applicant, type Rejection } from './transport/admission.js';
import { clientIp } from './transport/client-ip.js';
import { Connection } from './transport/connection.js';
import { RefusedClient } from './transport/refused-client.js';
import { clearDeadline, createListener } from './transport/http-listener.js';
import { IpMatcher } from './transport/ip-match.js';
import { Mounts } from './transport/mounts.js';

export interface RelayOptions {
  logger?: Logger;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '*', '']);
/** postShutdown runs after everything is closed; within the serve command's 5 s stop margin. */
const POST_SHUTDOWN_LIMIT_MS = 3_000;

/**
 * The relay: one port for browsers, backends and plain HTTP. Wires the
 * listener, the hub of connections, the router and the resources.
 *
 * @example
 * const relay = new Relay({ ...defaultConfig(), address: parseAddress('ws://127.0.0.1:0') });
 * await relay.start();
 * console.log(relay.url('/web'));
 * await relay.stop();
 */
export class Relay {
  readonly config: RelayConfig;
  readonly logger: Logger;
  readonly stats = new RelayStats();
  readonly hub = new Hub();
  readonly http = new HttpRouter();
  readonly signer: UuidSigner;
  readonly router: Router;
  readonly sessions: SessionStore;
  /** Applications' hooks (preConnect, preSend, …): see docs/apps.md. */
  readonly hooks: HookRegistry;
  /** Who may publish to whom (server/routing/publish-policy.ts). */
  readonly policy: PublishPolicy;
  /** Applications owning a URL prefix (requests and upgrades), routed before everything of ours. */
  readonly mounts = new Mounts();

  readonly #resources = new Map<string, Resource>();
  readonly #context: RelayContext;
  readonly #pipeline: PipelineDeps;
  readonly #rules: AdmissionRules;
  readonly #trustedProxies: IpMatcher;
  readonly #handshakes: HandshakeLimiter;
  readonly #httpCap: HttpConnectionCap;
  readonly #wss: WebSocketServer;
  readonly #keepalive: Keepalive;
  #server: Server | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #nextId = 1;
  #shuttingDown = false;
  readonly #pendingTimers = new Set<NodeJS.Timeout>();
  readonly #stopHooks: (() => void)[] = [];
  /** Refused clients being told why: not in the hub, but stop() must end them too. */
  readonly #refused = new Map<WebSocket, RefusedClient>();
  /** Clients an application's preConnect is deciding on: not in the hub either. */
  readonly #admitting = new Set<WebSocket>();

  constructor(config: RelayConfig, options: RelayOptions = {}) {
    this.config = config;
    this.logger = options.logger ?? silentLogger;
    this.signer = new UuidSigner(config.secret);
    this.hooks = new HookRegistry(this.logger, { decisionTimeoutMs: config.handshakeTimeoutMs });
    this.sessions = new SessionStore(
      {
        count: config.retentionCount,
        bytes: config.retentionBytes,
        ageMs: config.retentionAgeMs,
        maxBufferedBytes: config.maxBufferedBytes,
      },
      this.stats,
      this.logger,
    );
    this.router = new Router(this.hub, this.sessions, this.stats, this.logger, {
      maxBufferedBytes: config.maxBufferedBytes,
      broadcastBatchMs: config.broadcastBatchMs,
    });
    const metrics = metricsFor(this);
    this.policy = new PublishPolicy({ pageIdents: config.pageIdents, pageBroadcast: config.pageBroadcast });
    this.#context = new RelayContext(this.logger, this.hub, this.router, this.signer, this.stats, this.policy, {
      onRekey: (conn, previousKey) => this.sessions.rekey(conn, previousKey),
      hasSession: (key) => this.sessions.get(key) !== undefined,
      observeLatency: (seconds) => metrics.observeLatency(seconds, 'websocket'),
      close: (conn, code, reason) => this.hooks.requestClose(conn, code, () => conn.close(code, reason)),
    });
    const resumeDeps = { signer: this.signer, hub: this.hub, sessions: this.sessions, ctx: this.#context };
    this.#pipeline = {
      ctx: this.#context,
      stats: this.stats,
      logger: this.logger,
      intercept: (conn, packet) => {
        if (packet.opcode !== ClientOpcode.Resume) return false;
        handleResume(resumeDeps, conn, packet);
        return true;
      },
    };
    this.#rules = {
      allowedBackendIps: new IpMatcher(config.allowedIP),
      allowedOrigins: new Set(config.allowedOrigins),
      maxClients: config.maxClients,
      maxPerIP: config.maxPerIP,
    };
    this.#trustedProxies = new IpMatcher(config.trustedProxies);
    const unlimited = new IpMatcher([...config.allowedIP, ...config.trustedProxies]);
    this.#handshakes = new HandshakeLimiter({
      rate: config.handshakeRate,
      burst: config.handshakeBurst,
      exempt: unlimited,
      onRefuse: () => this.stats.countRejection('429'),
    });
    this.#httpCap = new HttpConnectionCap(config.maxHttpPerIP, unlimited);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL_V2) ? SUBPROTOCOL_V2 : false),
    });
    this.#wss.on('headers', function paddedForPhpReaders(headers: string[], req: IncomingMessage) {
      if (String(req.headers['client-type']).toLowerCase() === 'php') padHandshakeHeaders(headers);
    });
    this.#keepalive = new Keepalive(this.hub, this.stats, this.logger, {
      pingIntervalMs: config.pingIntervalMs,
      stallTimeoutMs: config.stallTimeoutMs,
    });
    const relayResource = new RelayResource();
    for (const path of ['/', '/web', '/php']) this.registerResource(path, relayResource);
    installHttpApi(this);
  }

  /** Serve an application at a request path (replaces an earlier one there). */
  registerResource(path: string, resource: Resource): void {
    this.#resources.set(path, resource);
  }

  get port(): number {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the relay is not listening');
    return address.port;
  }

  /** Run `hook` when stop() begins (e.g. end child processes an application started). */
  onStop(hook: () => void): void {
    this.#stopHooks.push(hook);
  }

  /** True from the moment stop() is called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Bytes queued for all clients and not yet on the wire (the backpressure gauge). */
  bufferedBytes(): number {
    let total = 0;
    for (const conn of this.hub.all()) total += conn.bufferedBytes;
    return total;
  }

  /** The WebSocket URL of a resource on this relay. */
  url(resource = '/'): string {
    return toWebSocketUrl({ ...this.config.address, host: this.#displayHost(), port: this.port }, resource);
  }

  /** The HTTP URL of a path on this relay. */
  httpUrl(path = '/'): string {
    return toHttpUrl({ ...this.config.address, host: this.#displayHost(), port: this.port }, path);
  }

  async start(): Promise<void> {
    const server = createListener(this.config, this.logger);
    this.#httpCap.watch(server, this.config.address.tls);
    // Both run on client input: a bug below them costs that one socket, never the process.
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        if (this.#handshakes.refuse(socket, clientIp(req, this.#trustedProxies))) return;
        if (!this.mounts.upgrade(req, socket, head)) this.#onUpgrade(req, socket, head);
      } catch (error) {
        this.#failed('upgrade handler failed', socket, error, req);
      }
    });
    server.on('request', (req, res) => {
      try {
        if (this.mounts.request(req, res)) return;
        clearDeadline(req.socket);
        this.http.handle(req, res, clientIp(req, this.#trustedProxies), (error) =>
          this.#failed('HTTP handler failed', req.socket, error, req),
        );
      } catch (error) {
        this.#failed('HTTP handler failed', req.socket, error, req);
      }
    });
    const host = WILDCARD_HOSTS.has(this.config.address.host) ? '::' : this.config.address.host;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.config.address.port, host, ipv6Only: false }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.error('listener error', { reason: error.message }));
    this.#server = server;
    this.#keepalive.start();
    // Catch-up of slow pages wants to be prompt; expiry can wait a second.
    let ticks = 0;
    this.#sweepTimer = setInterval(() => {
      this.sessions.catchUpRound();
      if (++ticks % 10 === 0) this.sessions.expireRound();
    }, 100);
    this.logger.info('relay listening', { address: this.url('/'), tls: this.config.address.tls });
  }

  /**
   * Stop accepting, close every client with 1001, let queued frames drain
   * for at most `shutdownGraceMs`, then drop whatever is left.
   */
  async stop(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    // preShutdown may delay the stop; it shares shutdownGrace with the drain below.
    const deadline = Date.now() + this.config.shutdownGraceMs;
    await this.hooks.beforeShutdown(this.config.shutdownGraceMs);
    for (const hook of this.#stopHooks) {
      try {
        hook();
      } catch (error) {
        this.logger.error('a stop hook failed', { reason: (error as Error).message });
      }
    }
    this.#keepalive.stop();
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    this.router.stop();
    for (const timer of this.#pendingTimers) clearTimeout(timer);
    this.#pendingTimers.clear();
    const server = this.#server;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const conn of this.hub.all()) conn.drainAndClose(CloseCode.GoingAway, 'server shutting down');
    await this.#waitForClients(Math.max(0, deadline - Date.now()));
    for (const conn of this.hub.all()) conn.terminate();
    for (const client of this.#refused.values()) client.cut();
    this.#refused.clear();
    for (const ws of this.#admitting) ws.terminate();
    this.#admitting.clear();
    server?.closeAllConnections();
    await closed;
    this.#wss.close();
    await this.hooks.afterShutdown(POST_SHUTDOWN_LIMIT_MS);
    this.logger.info('relay stopped');
  }

  #waitForClients(ms: number): Promise<void> {
    if (this.hub.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = Date.now() + ms;
      const check = setInterval(() => {
        if (this.hub.size === 0 || Date.now() >= deadline) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
  }

  #displayHost(): string {
    const host = this.config.address.host;
    return WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    clearDeadline(socket);
    const applicant = readApplicant(req, clientIp(req, this.#trustedProxies));
    const rejection = admit(applicant, this.#rules, {
      hasResource: (path) => this.#resources.has(path),
      total: this.hub.size + this.#admitting.size,
      fromIp: (ip) => this.hub.countFromIp(ip),
      shuttingDown: this.#shuttingDown,
    });
    if (applicant.kind === 'backend') {
      // Registered before ws's own listener, so it mends each chunk before ws parses it
      // (ws re-emits `head` through 'data', so that passes here too).
      const fixer = new PhpOpcodeFixer();
      socket.on('data', function backendFramesMended(chunk: Buffer) {
        try {
          fixer.fix(chunk);
        } catch {
          socket.destroy();
        }
      });
    }
    // Complete the handshake even to refuse: the client is then told why in a packet.
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (rejection) this.#reject(ws, socket, applicant, rejection);
      else this.#accept(ws, socket, applicant, req);
    });
  }

  #reject(ws: WebSocket, socket: Duplex, applicant: Applicant, rejection: Rejection): void {
    this.stats.countRejection(rejection.cause === 'resource' ? 'resource' : String(rejection.close));
    this.logger.warn('client rejected', {
      reason: rejection.reason,
      ip: applicant.ip,
      path: applicant.path,
      kind: applicant.kind,
      origin: rejection.cause === 'origin' ? applicant.origin : undefined,
    });
    const client = new RefusedClient(ws, socket);
    const refused = this.#refused;
    refused.set(ws, client);
    ws.on('close', () => refused.delete(ws));
    const packet = JSON.stringify({ opcode: ServerOpcode.Close, error: rejection.reason });
    // A refused PHP backend reads this where it expects `ready`: same 1024-byte frame.
    const tell = (): void => client.tell(applicant.kind === 'backend' ? padReadyForPhp(packet) : packet, rejection.close, rejection.reason);
    if (applicant.kind === 'backend') this.#later(this.config.backendReadyDelayMs, tell);
    else tell();
  }

  #accept(ws: WebSocket, socket: Duplex, applicant: Applicant, req: IncomingMessage): void {
    const uuid = this.signer.issue();
    const conn = new Connection({
      id: this.#nextId++,
      ws,
      socket,
      kind: applicant.kind,
      protocol: ws.protocol === SUBPROTOCOL_V2 ? 2 : 1,
      resource: applicant.path,
      ip: applicant.ip,
      ident: applicant.ident,
      origin: applicant.origin,
      uuid,
      key: routingKey(uuid),
      maxChunks: this.config.maxChunks,
      maxMessageBytes: this.config.maxMessageBytes,
      frameGapMs: this.config.backendFrameGapMs,
    });
    if (!this.hooks.has('preConnect', conn.resource)) {
      this.#open(conn, ws, applicant);
      return;
    }
    // Nothing is read while the application decides: what the client sends waits in the socket.
    socket.pause();
    ws.on('error', () => {});
    const admitting = this.#admitting;
    admitting.add(ws);
    void this.hooks.admit(conn, req).then((refusal) => {
      admitting.delete(ws);
      if (ws.readyState !== ws.OPEN) return;
      if (refusal === null && this.#shuttingDown)
        refusal = { reason: 'the relay is shutting down', close: CloseCode.GoingAway, cause: 'shutdown' };
      if (refusal) {
        this.#reject(ws, socket, applicant, refusal);
        return;
      }
      this.#open(conn, ws, applicant);
      socket.resume();
    });
  }

  /** Register an admitted connection, wire its events and send `ready`. */
  #open(conn: Connection, ws: WebSocket, applicant: Applicant): void {
    const resource = this.#resources.get(applicant.path)!;
    const displaced = this.hub.add(conn);
    if (displaced) {
      this.logger.info('ident taken over by a newer connection', { ident: conn.ident, old: displaced.id, client: conn.id });
    }
    if (conn.protocol === 2 && conn.kind === 'browser') this.sessions.open(conn);
    const ctx = this.#context;
    const pipeline = this.#pipeline;
    const hub = this.hub;
    const sessions = this.sessions;
    const logger = this.logger;
    const stats = this.stats;
    const hooks = this.hooks;
    const throttle = this.config.maxMessageRate > 0 ? new InboundThrottle(ws, this.config.maxMessageRate, () => stats.throttled++) : null;
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
    });
    if (conn.kind === 'backend' && conn.protocol === 1) conn.holdFor(this.config.backendReadyDelayMs);
    const ready: { opcode: string; uuid: string; protocol?: number; resumeToken?: string } = {
      opcode: ServerOpcode.Ready,
      uuid: conn.uuid,
    };
    if (conn.protocol === 2) ready.protocol = 2;
    // Only v2 pages can resume: their resume credential goes to them alone, never into a forwarded packet.
    if (conn.protocol === 2 && conn.kind === 'browser') ready.resumeToken = this.signer.resumeToken(conn.key);
    const readyJson = JSON.stringify(ready);
    conn.send(conn.kind === 'backend' && conn.protocol === 1 ? padReadyForPhp(readyJson) : readyJson);
    resource.onOpen?.(conn, ctx);
    this.hooks.connected(conn);
  }

  /** A handler threw on client input: log it and drop that client's socket. */
  #failed(what: string, socket: Duplex, error: unknown, req?: IncomingMessage): void {
    this.logger.error(what, {
      path: req?.url,
      ip: (socket as { remoteAddress?: string }).remoteAddress,
      reason: (error as Error)?.message ?? String(error),
    });
    socket.destroy();
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#pendingTimers.delete(timer);
      fn();
    }, ms);
    this.#pendingTimers.add(timer);
  }
}
