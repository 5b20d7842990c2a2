import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { toHttpUrl, toWebSocketUrl } from '../include/address.js';
import { SUBPROTOCOL_V2 } from '../include/protocol.js';
import type { RelayConfig } from './config/relay-config.js';
import type { Delivery } from './delivery/delivery.js';
import type { EngineTiming } from './engine/create-engine.js';
import type { Engine } from './engine/engine.js';
import { HookRegistry } from './hooks/hook-registry.js';
import { HttpRouter } from './http/http-router.js';
import { installClientFiles } from './http/client-files.js';
import { installHttpApi } from './http/publish-api.js';
import { installJobsHttp, JobTokens, JobTracker } from './jobs/index.js';
import { PusherApps } from './pusher/apps/pusher-apps.js';
import { installPusherHttp, type PusherHttp } from './pusher/http/install-pusher-http.js';
import { channelsPort } from './pusher/http/channels-adapter.js';
import { channelFeedback } from './pusher/http/feedback-channel.js';
import { pageBridge } from './pusher/http/page-channel.js';
import { sendLifecycleWebhooks } from './pusher/webhooks/lifecycle-webhooks.js';
import type { ChannelFeedback } from './routing/publish-feedback.js';
import { PusherWsServer } from './pusher/ws/pusher-ws-server.js';
import { metricsFor, type RelayMetrics } from './metrics/prometheus.js';
import { Keepalive } from './keepalive.js';
import { silentLogger, type Logger } from './logger/logger.js';
import { RelayStats } from './metrics/relay-stats.js';
import { UuidSigner } from './protocol/uuid-signer.js';
import { RelayResource } from './resources/relay-resource.js';
import type { Resource } from './resources/resource.js';
import { HandshakeLimiter } from './limits/handshake-limiter.js';
import { HttpConnectionCap } from './limits/http-connection-cap.js';
import { heapShare } from './limits/heap-share.js';
import { InFlightBudget } from './limits/in-flight-budget.js';
import type { ReadGate } from './limits/read-gate.js';
import { Hub } from './routing/hub.js';
import { PublishPolicy } from './routing/publish-policy.js';
import type { Router } from './routing/router.js';
import type { SessionStore } from './routing/session-store.js';
import { padHandshakeHeaders } from './transport/backend-handshake.js';
import type { Connection } from './transport/connection.js';
import type { Listener } from './transport/http-listener.js';
import { IpMatcher } from './transport/ip-match.js';
import { Mounts } from './transport/mounts.js';
import { ClientAdmission } from './wiring/client-admission.js';
import { wirePipeline } from './wiring/client-pipeline.js';
import { readDrained } from './wiring/connection-opening.js';
import { startSessionSweep, wireEngine } from './wiring/engine-wiring.js';
import { listen, WILDCARD_HOSTS } from './wiring/listener-wiring.js';
import { shutDown } from './wiring/shutdown.js';

export interface RelayOptions {
  logger?: Logger;
  /** Redis engine timing (tests shorten it): heartbeat, hold TTL, answer timeout, pub/sub probe interval, in ms. */
  engine?: EngineTiming;
}

/**
 * The relay: one port for browsers, backends and plain HTTP. Wires the
 * parts together — listener (server/wiring/listener-wiring.ts), admission
 * of clients (client-admission.ts, connection-opening.ts), delivery and
 * engine (engine-wiring.ts), the message pipeline (client-pipeline.ts),
 * stop (shutdown.ts) — and lends itself to none of them.
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
  readonly #admission: ClientAdmission;
  readonly #trustedProxies: IpMatcher;
  readonly #handshakes: HandshakeLimiter;
  readonly #httpCap: HttpConnectionCap;
  readonly #wss: WebSocketServer;
  readonly #keepalive: Keepalive;
  #listener: Listener | null = null;
  #stopSweep: (() => void) | null = null;
  #shuttingDown = false;
  readonly #stopHooks: (() => void | Promise<void>)[] = [];
  /** Connections not read because the replies to them are not read (over maxBuffered); resumed once drained. */
  readonly #repliesUnread = new Map<Connection, ReadGate>();

  constructor(config: RelayConfig, options: RelayOptions = {}) {
    this.config = config;
    this.logger = options.logger ?? silentLogger;
    this.signer = new UuidSigner(config.secret);
    this.hub = new Hub(config.ipv6PrefixBits);
    this.inFlight = new InFlightBudget({ totalBytes: heapShare(config.inFlightTotalBytes, 8), timeoutMs: config.messageTimeoutMs });
    this.hooks = new HookRegistry(this.logger, { decisionTimeoutMs: config.handshakeTimeoutMs });
    // Without a configured secret, tokens live as long as this process (as the uuid signatures do).
    this.jobTokens = new JobTokens(config.secret ?? randomBytes(32).toString('hex'));
    this.jobs = new JobTracker({
      graceMs: config.jobGraceMs,
      keepFinishedMs: Math.max(config.retentionAgeMs, 60_000),
      // The engine exists before the tracker publishes anything: it is built right below.
      publish: (key, raw, packet) => void this.engine.broker.publish({ kind: 'uuid', key }, { raw, packet }),
      // Only several nodes need a directory of who runs which job; alone, the tracker is the whole truth.
      cluster: () => (this.engine.kind === 'redis' ? this.engine : undefined),
    });
    const { delivery, sessions, engine, router } = wireEngine(
      config,
      this.hub,
      this.hooks,
      this.stats,
      this.logger,
      this.jobs,
      options.engine,
    );
    this.delivery = delivery;
    this.sessions = sessions;
    this.engine = engine;
    this.router = router;
    const jobs = this.jobs;
    engine.jobs.attach({
      signal: (key, job, frame) => jobs.signalFromNode(key, job, frame),
      orphaned: (key, uuid, job, owner) => jobs.orphaned(key, uuid, job, owner),
    });
    this.metrics = metricsFor(this);
    this.policy = new PublishPolicy({ pageIdents: config.pageIdents, pageBroadcast: config.pageBroadcast });
    this.pusherApps = new PusherApps(config.pusherApps);
    this.channelFeedback = this.pusherApps.size === 0 ? null : channelFeedback(engine.channels, this.pusherApps);
    const { context, pipeline } = wirePipeline(this);
    this.#admission = new ClientAdmission({
      config,
      logger: this.logger,
      stats: this.stats,
      hub: this.hub,
      signer: this.signer,
      hooks: this.hooks,
      delivery,
      sessions,
      engine,
      context,
      pipeline,
      inFlight: this.inFlight,
      repliesUnread: this.#repliesUnread,
      jobs: this.jobs,
      jobTokens: this.jobTokens,
      rules: {
        allowedBackendIps: new IpMatcher(config.allowedIP),
        allowedOrigins: new Set(config.allowedOrigins),
        maxClients: config.maxClients,
        maxPerIP: config.maxPerIP,
      },
      resources: this.#resources,
      pusherWs: () => this.pusherWs,
      shuttingDown: () => this.#shuttingDown,
    });
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
    this.pusherHttp = installPusherHttp(this, this.pusherApps, channelsPort(engine.channels), pageBridge(engine.broker, this.stats));
    if (this.pusherHttp !== null) {
      const stopWebhooks = sendLifecycleWebhooks(engine.channels, this.pusherApps, this.pusherHttp.webhooks);
      this.onStop(stopWebhooks);
    }
    const admission = this.#admission;
    this.pusherWs =
      this.pusherApps.size === 0
        ? null
        : new PusherWsServer({
            apps: this.pusherApps,
            channels: engine.channels,
            delivery,
            hooks: this.hooks,
            logger: this.logger,
            activityTimeoutS: config.pusherActivityTimeoutS,
            pongTimeoutMs: config.pusherPongTimeoutMs,
            maxChunks: config.maxChunks,
            maxMessageBytes: config.maxMessageBytes,
            maxMessageRate: config.maxMessageRate,
            onThrottle: () => this.stats.throttled++,
            registry: this.metrics.registry,
            roomLeft: () => (config.maxClients > 0 ? config.maxClients - admission.clientCount() : Infinity),
          });
    installClientFiles(this.http);
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
    const admission = this.#admission;
    const listener = await listen(this.config, this.logger, {
      wss: this.#wss,
      http: this.http,
      mounts: this.mounts,
      handshakes: this.#handshakes,
      httpCap: this.#httpCap,
      trustedProxies: this.#trustedProxies,
      admit: (accepted) => admission.admit(accepted),
    });
    this.#listener = listener;
    this.#keepalive.start();
    this.pusherWs?.start();
    const repliesUnread = this.#repliesUnread;
    const maxBuffered = this.config.maxBufferedBytes;
    this.#stopSweep = startSessionSweep(this.config, this, this.inFlight, this.jobs, () => readDrained(repliesUnread, maxBuffered));
    this.logger.info('relay listening', { address: this.url('/'), tls: this.config.address.tls, http2: listener.h2 !== null });
  }

  /**
   * Stop accepting, close every client with 1001, let queued frames drain
   * for at most `shutdownGraceMs`, then drop whatever is left.
   */
  async stop(): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const stopSweep = this.#stopSweep;
    this.#stopSweep = null;
    await shutDown({
      config: this.config,
      logger: this.logger,
      hooks: this.hooks,
      stopHooks: this.#stopHooks,
      keepalive: this.#keepalive,
      stopSweep,
      delivery: this.delivery,
      admission: this.#admission,
      listener: this.#listener,
      pusherWs: this.pusherWs,
      hub: this.hub,
      wss: this.#wss,
      engine: this.engine,
      repliesUnread: this.#repliesUnread,
      jobs: this.jobs,
    });
  }

  #displayHost(): string {
    const host = this.config.address.host;
    return WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host;
  }
}
