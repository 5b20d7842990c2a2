import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { toHttpUrl, toWebSocketUrl } from '../include/address.js';
import { ClientOpcode, CloseCode, ServerOpcode, SUBPROTOCOL_V2 } from '../include/protocol.js';
import type { RelayConfig } from './config/relay-config.js';
import { Delivery } from './delivery/delivery.js';
import { createEngine } from './engine/create-engine.js';
import type { Engine } from './engine/engine.js';
import { HookRegistry } from './hooks/hook-registry.js';
import { SendHooks } from './hooks/send-hooks.js';
import { HttpRouter } from './http/http-router.js';
import { installClientFiles } from './http/client-files.js';
import { installHttpApi } from './http/publish-api.js';
import { PusherApps } from './pusher/apps/pusher-apps.js';
import { installPusherHttp, type PusherHttp } from './pusher/http/install-pusher-http.js';
import { channelsPort } from './pusher/http/channels-adapter.js';
import { channelFeedback } from './pusher/http/feedback-channel.js';
import { pageBridge } from './pusher/http/page-channel.js';
import { sendLifecycleWebhooks } from './pusher/webhooks/lifecycle-webhooks.js';
import type { ChannelFeedback } from './routing/publish-feedback.js';
import { PusherWsServer } from './pusher/ws/pusher-ws-server.js';
import { relayCodec } from './protocol/codecs/relay-codecs.js';
import { metricsFor, type RelayMetrics } from './metrics/prometheus.js';
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
import { heapShare } from './limits/heap-share.js';
import { InFlightBudget } from './limits/in-flight-budget.js';
import { InboundThrottle } from './limits/inbound-throttle.js';
import { ReadGate, ReadHold } from './limits/read-gate.js';
import { Hub } from './routing/hub.js';
import { handleResume } from './routing/resume.js';
import { PublishPolicy } from './routing/publish-policy.js';
import { Router } from './routing/router.js';
import { SessionStore } from './routing/session-store.js';
import type { AcceptedWebSocket, AcceptorHooks } from './transport/accepted-websocket.js';
import { padHandshakeHeaders, padReadyForPhp } from './transport/backend-handshake.js';
import { admit, type AdmissionRules, type Applicant, type Rejection } from './transport/admission.js';
import { clientIp } from './transport/client-ip.js';
import { Connection } from './transport/connection.js';
import { ExtendedConnectAcceptor } from './transport/extended-connect-acceptor.js';
import { clearDeadline, Listener } from './transport/http-listener.js';
import { RefusedClient } from './transport/refused-client.js';
import { UpgradeAcceptor } from './transport/upgrade-acceptor.js';
import { IpMatcher } from './transport/ip-match.js';
import { Mounts } from './transport/mounts.js';
import {
  checkJobsAfterResume,
  handlePageSignal,
  handlePageToken,
  installJobsHttp,
  JobTokens,
  JobTracker,
  refusalText,
  type JobScope,
} from './jobs/index.js';
import { bearerToken } from './http/publish-auth.js';

export interface RelayOptions {
  logger?: Logger;
  /** Pusher keepalive timing (tests shorten it): activity_timeout in seconds (120), pong wait in ms (30 000). */
  pusher?: { activityTimeoutS?: number; pongTimeoutMs?: number };
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '*', '']);
/** postShutdown runs after everything is closed; within the serve command's 5 s stop margin. */
const POST_SHUTDOWN_LIMIT_MS = 3_000;

/**
 * The relay: one port for browsers, backends and plain HTTP. Wires the
 * parts together — listener, hub of connections, delivery (the one writer
 * to sockets), engine (broker, session log, presence), router (this node's
 * handler of publications), resources — and lends itself to none of them.
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
  readonly hub: Hub;
  readonly http = new HttpRouter();
  readonly signer: UuidSigner;
  /** The one place that writes to client sockets (counters, backpressure, send interceptors). */
  readonly delivery: Delivery;
  /** Memory (one process) or Redis (several nodes as one relay). */
  readonly engine: Engine;
  readonly router: Router;
  readonly sessions: SessionStore;
  readonly metrics: RelayMetrics;
  /** Applications' hooks (preConnect, preSend, …): see docs/apps.md. */
  readonly hooks: HookRegistry;
  /** Who may publish to whom (server/routing/publish-policy.ts). */
  readonly policy: PublishPolicy;
  /** Applications owning a URL prefix (requests and upgrades), routed before everything of ours. */
  readonly mounts = new Mounts();
  /** Unfinished messages of every connection, within inFlightTotal and messageTimeout. */
  readonly inFlight: InFlightBudget;
  /** The Pusher apps of the configuration (none: no Pusher endpoints). */
  readonly pusherApps: PusherApps;
  /** The Pusher HTTP API and webhooks, when there are apps. */
  readonly pusherHttp: PusherHttp | null;
  /** Publishes feedback naming a Pusher `"channel"` (from backends and POST /feedback), when there are apps. */
  readonly channelFeedback: ChannelFeedback | null;
  /** Pusher protocol 7 at /app/{key}, when there are apps. */
  readonly pusherWs: PusherWsServer | null;
  /** The jobs (progress.job) of this node's publishers: states, lost, signals (server/jobs/). */
  readonly jobs: JobTracker;
  /** Per-job credentials, signed with the relay's secret (server/jobs/job-token.ts). */
  readonly jobTokens: JobTokens;

  readonly #resources = new Map<string, Resource>();
  readonly #context: RelayContext;
  readonly #pipeline: PipelineDeps;
  readonly #rules: AdmissionRules;
  /** The same rules for a backend that presented a valid job token: from any IP. */
  readonly #tokenRules: AdmissionRules;
  readonly #trustedProxies: IpMatcher;
  readonly #handshakes: HandshakeLimiter;
  readonly #httpCap: HttpConnectionCap;
  readonly #wss: WebSocketServer;
  readonly #keepalive: Keepalive;
  #listener: Listener | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #nextId = 1;
  #shuttingDown = false;
  readonly #pendingTimers = new Set<NodeJS.Timeout>();
  readonly #stopHooks: (() => void | Promise<void>)[] = [];
  /** Refused clients being told why: not in the hub, but stop() must end them too. */
  readonly #refused = new Map<WebSocket, RefusedClient>();
  /** Clients an application's preConnect is deciding on: not in the hub either. */
  readonly #admitting = new Set<WebSocket>();
  /** Connections not read because the replies to them are not read (over maxBuffered); resumed once drained. */
  readonly #repliesUnread = new Map<Connection, ReadGate>();

  constructor(config: RelayConfig, options: RelayOptions = {}) {
    this.config = config;
    this.logger = options.logger ?? silentLogger;
    this.signer = new UuidSigner(config.secret);
    this.hub = new Hub(config.ipv6PrefixBits);
    this.inFlight = new InFlightBudget({ totalBytes: heapShare(config.inFlightTotalBytes, 8), timeoutMs: config.messageTimeoutMs });
    this.hooks = new HookRegistry(this.logger, { decisionTimeoutMs: config.handshakeTimeoutMs });
    this.delivery = new Delivery(this.stats, this.logger, {
      maxBufferedBytes: config.maxBufferedBytes,
      broadcastBatchMs: config.broadcastBatchMs,
    });
    this.delivery.useSendHooks(
      new SendHooks(this.hooks, {
        maxQueuedBytes: config.maxBufferedBytes,
        onDrop: (_conn, why) => (why === 'vetoed' ? this.stats.drops.intercepted++ : this.stats.drops.slow_consumer++),
      }),
    );
    const limits = {
      count: config.retentionCount,
      bytes: config.retentionBytes,
      ageMs: config.retentionAgeMs,
      totalBytes: heapShare(config.retentionTotalBytes, 4),
      detachedPerGroup: config.maxSessionsPerIP,
      groupOf: (ip: string) => this.hub.groupOf(ip),
    };
    this.sessions = new SessionStore(limits, this.stats, this.logger, this.delivery);
    this.engine = createEngine(config, { sessions: this.sessions, hub: this.hub, logger: this.logger, stats: this.stats });
    this.sessions.useLog(this.engine.log);
    const broker = this.engine.broker;
    // Without a configured secret, tokens live as long as this process (as the uuid signatures do).
    this.jobTokens = new JobTokens(config.secret ?? randomBytes(32).toString('hex'));
    this.jobs = new JobTracker({
      graceMs: config.jobGraceMs,
      keepFinishedMs: Math.max(config.retentionAgeMs, 60_000),
      publish: (key, raw, packet) => void broker.publish({ kind: 'uuid', key }, { raw, packet }),
    });
    this.router = new Router(this.hub, this.sessions, this.delivery, this.stats, this.engine.nodeId, this.jobs);
    this.engine.attach(this.router);
    const metrics = metricsFor(this);
    this.metrics = metrics;
    this.policy = new PublishPolicy({ pageIdents: config.pageIdents, pageBroadcast: config.pageBroadcast });
    this.pusherApps = new PusherApps(config.pusherApps);
    this.channelFeedback = this.pusherApps.size === 0 ? null : channelFeedback(this.engine.channels, this.pusherApps);
    const presence = this.engine.presence;
    this.#context = new RelayContext(
      {
        logger: this.logger,
        hub: this.hub,
        broker: this.engine.broker,
        delivery: this.delivery,
        signer: this.signer,
        stats: this.stats,
        policy: this.policy,
        nodeId: this.engine.nodeId,
        channelFeedback: this.channelFeedback,
        jobs: this.jobs,
      },
      {
        onRekey: (conn, previousKey) => {
          this.sessions.rekey(conn, previousKey);
          void presence.hold({ kind: 'uuid', key: conn.key }).catch(() => {});
          void presence.release({ kind: 'uuid', key: previousKey }).catch(() => {});
          // A v2 page resumes with the token of the uuid it now has: it is told it, as at connect.
          const session = this.sessions.get(conn.key);
          if (session?.conn === conn) this.delivery.reply(conn, this.#readyPacket(conn, session.epoch));
        },
        hasSession: (key) => this.sessions.get(key) !== undefined,
        observeLatency: (seconds) => metrics.observeLatency(seconds, 'websocket'),
        close: (conn, code, reason) => this.hooks.requestClose(conn, code, () => conn.close(code, reason)),
      },
    );
    const resumeDeps = {
      signer: this.signer,
      hub: this.hub,
      sessions: this.sessions,
      presence,
      delivery: this.delivery,
      ctx: this.#context,
      logger: this.logger,
      onResumed: (key: string, uuid: string, jobs: unknown) => checkJobsAfterResume(this.engine.log, this.jobs, key, uuid, jobs),
    };
    const jobs = this.jobs;
    this.#pipeline = {
      ctx: this.#context,
      inFlight: this.inFlight,
      delivery: this.delivery,
      stats: this.stats,
      logger: this.logger,
      intercept: (conn, packet) => {
        if (packet.opcode === ClientOpcode.Resume) handleResume(resumeDeps, conn, packet);
        else if (packet.opcode === ClientOpcode.Signal) handlePageSignal(jobs, this.#context, conn, packet);
        else if (packet.opcode === ClientOpcode.Token) handlePageToken(this.jobTokens, this.delivery, this.#context, conn, packet);
        else return false;
        return true;
      },
    };
    this.#rules = {
      allowedBackendIps: new IpMatcher(config.allowedIP),
      allowedOrigins: new Set(config.allowedOrigins),
      maxClients: config.maxClients,
      maxPerIP: config.maxPerIP,
    };
    this.#tokenRules = { ...this.#rules, allowedBackendIps: new IpMatcher(['0.0.0.0/0', '::/0']) };
    this.#trustedProxies = new IpMatcher(config.trustedProxies);
    const unlimited = new IpMatcher([...config.allowedIP, ...config.trustedProxies]);
    this.#handshakes = new HandshakeLimiter({
      rate: config.handshakeRate,
      burst: config.handshakeBurst,
      exempt: unlimited,
      onRefuse: () => this.stats.countRejection('429'),
      v6Bits: config.ipv6PrefixBits,
    });
    this.#httpCap = new HttpConnectionCap(config.maxHttpPerIP, unlimited, config.ipv6PrefixBits);
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
    installJobsHttp(this.http, config, this.jobs, () => this.#shuttingDown, this.jobTokens);
    this.pusherHttp = installPusherHttp(
      this,
      this.pusherApps,
      channelsPort(this.engine.channels),
      pageBridge(this.engine.broker, this.stats),
    );
    if (this.pusherHttp !== null) {
      const stopWebhooks = sendLifecycleWebhooks(this.engine.channels, this.pusherApps, this.pusherHttp.webhooks);
      this.onStop(stopWebhooks);
    }
    this.pusherWs =
      this.pusherApps.size === 0
        ? null
        : new PusherWsServer({
            apps: this.pusherApps,
            channels: this.engine.channels,
            delivery: this.delivery,
            logger: this.logger,
            activityTimeoutS: options.pusher?.activityTimeoutS ?? 120,
            pongTimeoutMs: options.pusher?.pongTimeoutMs ?? 30_000,
            maxChunks: config.maxChunks,
            maxMessageBytes: config.maxMessageBytes,
            maxMessageRate: config.maxMessageRate,
            onThrottle: () => this.stats.throttled++,
            registry: this.metrics.registry,
            roomLeft: () => (config.maxClients > 0 ? config.maxClients - this.#clientCount() : Infinity),
          });
    installClientFiles(this.http);
  }

  /** Every connected and admitting client, of every protocol (maxClients counts them all). */
  #clientCount(): number {
    return this.hub.size + this.#admitting.size + (this.pusherWs?.size ?? 0);
  }

  /** Serve an application at a request path (replaces an earlier one there). */
  registerResource(path: string, resource: Resource): void {
    this.#resources.set(path, resource);
  }

  get port(): number {
    const address = this.#listener?.server.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the relay is not listening');
    return address.port;
  }

  /**
   * Run `hook` when stop() begins (e.g. end child processes an application started).
   * A promise it returns is awaited before stop() resolves, so what it closes is closed.
   */
  onStop(hook: () => void | Promise<void>): void {
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
    await this.engine.start();
    const listener = new Listener(this.config, this.logger);
    const server = listener.server;
    this.#httpCap.watch(server, this.config.address.tls);
    const hooks: AcceptorHooks = {
      // HTTP/1.1 upgrades meet the handshake rate limit before mounts (below); h2 streams here.
      gate: (applicant) => this.#handshakes.refusal(applicant.ip),
      open: (accepted) => this.#admitAccepted(accepted),
    };
    const upgrades = new UpgradeAcceptor(this.#wss, { open: hooks.open });
    const streams = new ExtendedConnectAcceptor(this.#wss, hooks, this.mounts);
    // All three run on client input: a bug below them costs that one socket or stream, never the process.
    listener.onUpgrade((req, socket, head) => {
      try {
        const ip = clientIp(req, this.#trustedProxies);
        if (this.#handshakes.refuse(socket, ip)) return;
        if (this.mounts.upgrade(req, socket, head)) return;
        clearDeadline(socket);
        upgrades.accept(req, socket, head, ip);
      } catch (error) {
        this.#failed('upgrade handler failed', socket, error, req);
      }
    });
    listener.onConnect((req, res) => {
      try {
        streams.accept(req, res, clientIp(req, this.#trustedProxies));
      } catch (error) {
        this.#failed('HTTP/2 CONNECT handler failed', req.stream, error, req);
      }
    });
    listener.onRequest((anyReq, anyRes) => {
      // The handlers use only what Node's HTTP/2 compatibility API has in common with HTTP/1.1.
      const req = anyReq as IncomingMessage;
      const res = anyRes as ServerResponse;
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
    this.#listener = listener;
    this.#keepalive.start();
    this.pusherWs?.start();
    // Catch-up of slow pages wants to be prompt; expiry can wait a second.
    let ticks = 0;
    const keepAliveEvery = Math.max(10, Math.floor(this.config.retentionAgeMs / 300));
    this.#sweepTimer = setInterval(() => {
      this.sessions.catchUpRound();
      if (this.#repliesUnread.size > 0) this.#readDrained();
      if (++ticks % 10 === 0) {
        this.sessions.expireRound();
        this.inFlight.tick(Date.now());
        this.jobs.sweep();
      }
      if (ticks % keepAliveEvery === 0) void this.engine.log.keepAlive(this.sessions.attachedKeys()).catch(() => {});
    }, 100);
    this.logger.info('relay listening', { address: this.url('/'), tls: this.config.address.tls, http2: listener.h2 !== null });
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
    const stopping: Promise<void>[] = [];
    const failed = (error: unknown): void => this.logger.error('a stop hook failed', { reason: (error as Error).message });
    for (const hook of this.#stopHooks) {
      try {
        const result = hook();
        if (result instanceof Promise) stopping.push(result.catch(failed));
      } catch (error) {
        failed(error);
      }
    }
    this.#keepalive.stop();
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    this.delivery.stop();
    this.jobs.stop();
    for (const timer of this.#pendingTimers) clearTimeout(timer);
    this.#pendingTimers.clear();
    const listener = this.#listener;
    const closed = listener ? new Promise<void>((resolve) => listener.server.close(() => resolve())) : Promise.resolve();
    // Pusher clients are told 4200 (reconnect now): pusher-js comes back at once, to another node if there is one.
    const pusherGone = this.pusherWs?.stop(Math.max(0, deadline - Date.now()));
    for (const conn of this.hub.all()) conn.drainAndClose(CloseCode.GoingAway, 'server shutting down');
    await this.#waitForClients(Math.max(0, deadline - Date.now()));
    await pusherGone;
    for (const conn of this.hub.all()) conn.terminate();
    this.#repliesUnread.clear();
    for (const client of this.#refused.values()) client.cut();
    this.#refused.clear();
    for (const ws of this.#admitting) ws.terminate();
    this.#admitting.clear();
    listener?.closeAllConnections();
    await closed;
    this.#wss.close();
    await Promise.all(stopping);
    await this.engine.stop();
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

  /** Every accepted WebSocket, over HTTP/1.1 or HTTP/2, is admitted here, then refused or connected. */
  #admitAccepted(accepted: AcceptedWebSocket): void {
    const { applicant } = accepted;
    const scope = this.#jobScopeOf(applicant);
    if (typeof scope === 'string') {
      this.#reject(accepted, { reason: scope, close: CloseCode.PolicyViolation, cause: 'backend-ip' });
      return;
    }
    const rejection = admit(applicant, scope === null ? this.#rules : this.#tokenRules, {
      hasResource: (path) => this.#resources.has(path) || (this.pusherWs?.serves(path) ?? false),
      total: this.#clientCount(),
      fromIp: (ip) => this.hub.countFromIp(ip),
      shuttingDown: this.#shuttingDown,
    });
    // Pusher clients are refused in their own protocol (4009, 4100, 4200), which pusher-js acts on.
    if (this.pusherWs?.serves(applicant.path)) this.pusherWs.open(accepted, this.#nextId++, rejection?.cause ?? null);
    // The handshake was completed even to refuse: the client is then told why in a packet.
    else if (rejection) this.#reject(accepted, rejection);
    else this.#accept(accepted, scope);
  }

  /**
   * A backend's job token (`Authorization: Bearer <token>` at the handshake):
   * its scope, the refusal sentence of a bad one, or null when it shows none.
   */
  #jobScopeOf(applicant: Applicant): JobScope | string | null {
    if (applicant.kind !== 'backend') return null;
    const header = applicant.headers.authorization;
    const bearer = bearerToken(typeof header === 'string' ? header : undefined);
    if (bearer === null || !JobTokens.looksLikeToken(bearer)) return null;
    const scope = this.jobTokens.verify(bearer);
    return typeof scope === 'string' ? refusalText(scope) : scope;
  }

  #reject({ ws, port, applicant, transport }: AcceptedWebSocket, rejection: Rejection): void {
    this.stats.countRejection(rejection.cause === 'resource' ? 'resource' : String(rejection.close));
    this.logger.warn('client rejected', {
      reason: rejection.reason,
      ip: applicant.ip,
      path: applicant.path,
      kind: applicant.kind,
      origin: rejection.cause === 'origin' ? applicant.origin : undefined,
      transport,
    });
    const client = new RefusedClient(ws, port);
    const refused = this.#refused;
    refused.set(ws, client);
    ws.on('close', () => refused.delete(ws));
    const packet = JSON.stringify({ opcode: ServerOpcode.Close, error: rejection.reason });
    // A refused PHP backend reads this where it expects `ready`: same 1024-byte frame.
    const tell = (): void => client.tell(applicant.kind === 'backend' ? padReadyForPhp(packet) : packet, rejection.close, rejection.reason);
    if (applicant.kind === 'backend') this.#later(this.config.backendReadyDelayMs, tell);
    else tell();
  }

  #accept(accepted: AcceptedWebSocket, scope: JobScope | null = null): void {
    const { ws, port, applicant, transport } = accepted;
    const uuid = this.signer.issue();
    const conn = new Connection({
      id: this.#nextId++,
      ws,
      port,
      transport,
      kind: applicant.kind,
      protocol: ws.protocol === SUBPROTOCOL_V2 ? 2 : 1,
      resource: applicant.path,
      ip: applicant.ip,
      // A token opens one job, not an Ident other scripts are reached by.
      ident: scope === null ? applicant.ident : null,
      origin: applicant.origin,
      uuid,
      key: routingKey(uuid),
      maxChunks: this.config.maxChunks,
      maxMessageBytes: this.config.maxMessageBytes,
      frameGapMs: this.config.backendFrameGapMs,
    });
    conn.jobScope = scope;
    if (!this.hooks.has('preConnect', conn.resource)) {
      this.#open(conn, ws, applicant);
      return;
    }
    // Nothing is read while the application decides: what the client sends waits in the socket.
    port.pause();
    ws.on('error', () => {});
    const admitting = this.#admitting;
    admitting.add(ws);
    // Hooks read url, headers and socket.remoteAddress, which an Http2ServerRequest has too.
    void this.hooks.admit(conn, accepted.request as IncomingMessage).then((refusal) => {
      admitting.delete(ws);
      if (ws.readyState !== ws.OPEN) return;
      if (refusal === null && this.#shuttingDown)
        refusal = { reason: 'the relay is shutting down', close: CloseCode.GoingAway, cause: 'shutdown' };
      if (refusal) {
        this.#reject(accepted, refusal);
        return;
      }
      this.#open(conn, ws, applicant);
      port.resume();
    });
  }

  /** Register an admitted connection, wire its events and send `ready`. */
  #open(conn: Connection, ws: WebSocket, applicant: Applicant): void {
    const resource = this.#resources.get(applicant.path)!;
    const displaced = this.hub.add(conn);
    if (displaced) {
      this.logger.info('ident taken over by a newer connection', { ident: conn.ident, old: displaced.id, client: conn.id });
    }
    const session = conn.protocol === 2 && conn.kind === 'browser' ? this.sessions.open(conn) : null;
    const ctx = this.#context;
    const presence = this.engine.presence;
    const pipeline = this.#pipeline;
    const hub = this.hub;
    const sessions = this.sessions;
    const logger = this.logger;
    const stats = this.stats;
    const hooks = this.hooks;
    const jobs = this.jobs;
    const gate = new ReadGate(ws);
    const throttle =
      this.config.maxMessageRate > 0
        ? new InboundThrottle(gate.as(ReadHold.Rate), this.config.maxMessageRate, () => stats.throttled++)
        : null;
    const inFlight = this.inFlight;
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
    const maxBuffered = this.config.maxBufferedBytes;
    const repliesUnread = this.#repliesUnread;
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
    if (conn.kind === 'backend' && conn.protocol === 1) conn.holdFor(this.config.backendReadyDelayMs);
    const readyJson = this.#readyPacket(conn, session?.epoch ?? null);
    const delivery = this.delivery;
    const sendReady = (): void => {
      delivery.control(conn, readyJson);
      resource.onOpen?.(conn, ctx);
      hooks.connected(conn);
    };
    const announced = this.#announce(conn, session);
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
  #readyPacket(conn: Connection, epoch: string | null): string {
    return relayCodec(conn.protocol).greeting({
      uuid: conn.uuid,
      epoch,
      // Only v2 pages can resume: their resume credential goes to them alone, never into a forwarded packet.
      resumeToken: conn.protocol === 2 && conn.kind === 'browser' ? this.signer.resumeToken(conn.key) : null,
      paddedForPhp: conn.kind === 'backend' && conn.protocol === 1,
    });
  }

  /** Connections paused for unread replies that drained to half of maxBuffered are read again. */
  #readDrained(): void {
    const low = this.config.maxBufferedBytes / 2;
    for (const [conn, gate] of this.#repliesUnread) {
      if (conn.closing) this.#repliesUnread.delete(conn);
      else if (conn.bufferedBytes <= low) {
        this.#repliesUnread.delete(conn);
        gate.release(ReadHold.Replies);
      }
    }
  }

  /** Tell the engine this node holds the connection's uuid, Ident and page log; null when nothing is shared. */
  #announce(conn: Connection, session: { key: string; epoch: string } | null): Promise<unknown> | null {
    if (this.engine.kind === 'memory') return null;
    const { presence, log } = this.engine;
    const steps: Promise<unknown>[] = [presence.hold({ kind: 'uuid', key: conn.key })];
    if (conn.ident) steps.push(presence.hold({ kind: 'ident', ident: conn.ident }));
    if (session !== null) steps.push(log.create(session.key, session.epoch));
    return Promise.all(steps);
  }

  /** A handler threw on client input: log it and drop that client's socket. */
  #failed(what: string, socket: { destroy(): void }, error: unknown, req?: { url?: string }): void {
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
