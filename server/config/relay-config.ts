import type { RelayAddress } from '../../include/address.js';
import { parseAddress } from '../../include/address.js';
import type { PusherApp } from '../pusher/apps/pusher-app.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The validated configuration the relay runs with. Built from the embedded
 * defaults, then websock.ini, then the command line (see load-config.ts).
 * Durations are in milliseconds here; websock.ini states them in seconds.
 */
export interface RelayConfig {
  /** Where to listen; its resource part is ignored. */
  address: RelayAddress;
  /** Log file path, or null for none. */
  logfile: string | null;
  /** Log to the console too. */
  console: boolean;
  logLevel: LogLevel;
  /** Rotate the log file when it passes this size. */
  logMaxBytes: number;
  /** How many rotated log files to keep. */
  logKeep: number;
  /** TLS certificate and key (PEM), required for wss:// and ssl://. */
  certFile: string | null;
  pkFile: string | null;
  /** HMAC secret that signs uuids; null means a random one per start. */
  secret: string | null;
  /** Keepalive ping period for browsers; 0 disables. */
  pingIntervalMs: number;
  /** IPs (or CIDR ranges) backends may connect from; 'self' means this host's addresses. */
  allowedIP: string[];
  /** Browser Origins allowed; empty means any. */
  allowedOrigins: string[];
  /** Most connections in total, 0 = no limit. */
  maxClients: number;
  /** Most connections from one client (an address group: see ipv6PrefixBits), 0 = no limit. */
  maxPerIP: number;
  /** Leading bits of an IPv6 address that make one client for every per-client limit (default a /64). */
  ipv6PrefixBits: number;
  /** WebSocket handshakes per second one IP (an IPv6 /64) may start, 0 = no limit; allowedIP and trusted proxies are exempt. */
  handshakeRate: number;
  /** Handshakes one IP may start at once after a quiet spell. */
  handshakeBurst: number;
  /** Plain HTTP connections one IP may hold open at once, 0 = no limit; allowedIP and trusted proxies are exempt. */
  maxHttpPerIP: number;
  /** Largest message in bytes (one frame, a fragmented message, or a chunked one). */
  maxMessageBytes: number;
  /** Most chunks between bufferON and bufferOFF. */
  maxChunks: number;
  /** A client must finish its handshake within this time. */
  handshakeTimeoutMs: number;
  /** Largest handshake request head in bytes. */
  maxHeaderBytes: number;
  /** Proxies whose X-Forwarded-For is believed. */
  trustedProxies: string[];
  /** Extra delay of `ready` after the 101 to a v1 backend (the padded 101 already keeps them apart). */
  backendReadyDelayMs: number;
  /** Minimum gap between frames to a v1 backend (it decodes one frame per read). */
  backendFrameGapMs: number;
  /** On shutdown, how long pending sends may drain. */
  shutdownGraceMs: number;
  /** Per-recipient retention for resumable pages. */
  retentionCount: number;
  retentionBytes: number;
  retentionAgeMs: number;
  /** How long a job's publisher may be gone (closed, or the relay restarted) before the job is declared lost. */
  jobGraceMs: number;
  /** Bytes all pages' retention (and latest progress) may take together; 0 = no limit, null = a quarter of the heap limit. */
  retentionTotalBytes: number | null;
  /** Away (detached) page sessions one client may keep waiting for a resume; 0 = no limit. */
  maxSessionsPerIP: number;
  /** An unfinished message (fragments, or bufferON…bufferOFF) must be finished within this time. */
  messageTimeoutMs: number;
  /** Bytes of unfinished messages all connections may hold together; 0 = no limit, null = an eighth of the heap limit. */
  inFlightTotalBytes: number | null;
  /** Window in which broadcasts under load are coalesced into one write per page; 0 = never. */
  broadcastBatchMs: number;
  /** Messages per second one connection may send before its socket is paused; 0 = no limit. */
  maxMessageRate: number;
  /** Bytes a connection may have queued before it counts as stalled. */
  maxBufferedBytes: number;
  /** How long a connection may stay above maxBufferedBytes before it is closed with 1013. */
  stallTimeoutMs: number;
  /** Bearer secret for the HTTP publish API; null: only allowedIP may publish. */
  publishSecret: string | null;
  /** HTTP publish requests per second per IP, 0 = no limit. */
  publishRateLimit: number;
  /** Idents pages may send feedback to (backends may address any). */
  pageIdents: string[];
  /** May pages broadcast to every other page (backends always may)? */
  pageBroadcast: boolean;
  /** Redis URL of the shared engine (several nodes as one relay); null: the memory engine. */
  broker: string | null;
  /** Put before every Redis key and channel, so several clusters can share one Redis. */
  brokerPrefix: string;
  /** Serve the demo page and demo job endpoint. */
  demo: boolean;
  /** Speak HTTP/2 too (WebSockets as RFC 8441 streams); null: on for TLS ports, off for plain ones. */
  http2: boolean | null;
  /** Who may start demo jobs (POST /demo/job); loopback by default. */
  demoAllowedIP: string[];
  /** [novosga] Run the Novo SGA event server (socket.io) on the relay's port. */
  novosgaEnabled: boolean;
  /** [novosga] The secret attendants register with; read from novosgaSecretFile when that is set. */
  novosgaSecret: string | null;
  /** [novosga] The file holding that secret (Novo SGA keeps it in var/websocket). */
  novosgaSecretFile: string | null;
  /** [novosga] The socket.io path its clients connect to. */
  novosgaPath: string;
  /** [novosga] Redis shared by several relays, so an event on one reaches clients on all; null = this node only. */
  novosgaRedis: string | null;
  // Pusher apps (issue 10; see docs/pusher.md).
  /** `pusherAppId`, `pusherKey`, `pusherSecret` as written at the top level (null: not set; REVERB_APP_* may stand in). */
  pusherAppId: string | null;
  pusherKey: string | null;
  pusherSecret: string | null;
  /** Seconds of silence after which either side pings (Pusher's `activity_timeout`, told to every client). */
  pusherActivityTimeoutS: number;
  /** How long a pinged Pusher client may take to answer before it is closed with 4201. */
  pusherPongTimeoutMs: number;
  /** Every Pusher app, resolved by loadConfig from the keys above, the environment and `[pusher:NAME]` sections; empty: no Pusher endpoints. */
  pusherApps: PusherApp[];
}

/** The embedded defaults: a relay on loopback that anyone can try at once. */
export function defaultConfig(): RelayConfig {
  return {
    address: parseAddress('ws://127.0.0.1:8080'),
    logfile: null,
    console: false,
    logLevel: 'info',
    logMaxBytes: 10 * 1024 * 1024,
    logKeep: 5,
    certFile: null,
    pkFile: null,
    secret: null,
    pingIntervalMs: 30_000,
    allowedIP: ['self'],
    allowedOrigins: [],
    maxClients: 0,
    maxPerIP: 0,
    ipv6PrefixBits: 64,
    handshakeRate: 20,
    handshakeBurst: 40,
    maxHttpPerIP: 64,
    maxMessageBytes: 16 * 1024 * 1024,
    maxChunks: 10_000,
    handshakeTimeoutMs: 5_000,
    maxHeaderBytes: 16 * 1024,
    trustedProxies: [],
    backendReadyDelayMs: 0,
    backendFrameGapMs: 5,
    shutdownGraceMs: 5_000,
    retentionCount: 1000,
    retentionBytes: 1024 * 1024,
    retentionAgeMs: 5 * 60_000,
    jobGraceMs: 10_000,
    retentionTotalBytes: null,
    maxSessionsPerIP: 32,
    messageTimeoutMs: 60_000,
    inFlightTotalBytes: null,
    broadcastBatchMs: 2,
    maxMessageRate: 0,
    maxBufferedBytes: 8 * 1024 * 1024,
    stallTimeoutMs: 30_000,
    publishSecret: null,
    publishRateLimit: 0,
    pageIdents: [],
    pageBroadcast: true,
    broker: null,
    brokerPrefix: 'websock:',
    demo: true,
    http2: null,
    demoAllowedIP: ['127.0.0.0/8', '::1'],
    novosgaEnabled: false,
    novosgaSecret: null,
    novosgaSecretFile: null,
    novosgaPath: '/socket.io',
    novosgaRedis: null,
    pusherAppId: null,
    pusherKey: null,
    pusherSecret: null,
    pusherActivityTimeoutS: 120,
    pusherPongTimeoutMs: 30_000,
    pusherApps: [],
  };
}
