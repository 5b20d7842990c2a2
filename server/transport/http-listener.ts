import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createSecureServer,
  createServer as createH2cServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type SecureServerOptions,
  type ServerHttp2Session,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RelayConfig } from '../config/relay-config.js';
import type { Logger } from '../logger/logger.js';
import { sniffPreface } from './preface-sniffer.js';

/** A plain HTTP request, over HTTP/1.1 or HTTP/2 (Node's compatibility API). */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** Idle HTTP connections (HTTP/1.1 keep-alive, HTTP/2 sessions with no stream) are closed after this long. */
const KEEP_ALIVE_MS = 5_000;
/** Streams one HTTP/2 connection may have open at once (WebSockets and requests together). */
export const H2_MAX_CONCURRENT_STREAMS = 1_000;
/**
 * Memory one HTTP/2 session may hold in nghttp2, in MB (Node's default is
 * 10); past it, new streams are refused. Outgoing WebSocket data is bounded
 * per stream by maxBuffered, not by this.
 */
const H2_MAX_SESSION_MEMORY_MB = 64;

/** Whether a port speaks HTTP/2 too: the `http2` key, else on for TLS and off for plain ports. */
export function http2Enabled(config: RelayConfig): boolean {
  return config.http2 ?? config.address.tls;
}

/**
 * The one listening port: HTTP/1.1 and, when enabled, HTTP/2, plain or TLS
 * by the address scheme. TLS ports offer ALPN `h2` and `http/1.1`; plain
 * ports tell h2 with prior knowledge by its preface. HTTP/2 sessions
 * advertise SETTINGS_ENABLE_CONNECT_PROTOCOL, so WebSockets may arrive as
 * Extended CONNECT streams ('connect'), beside upgrades ('upgrade') and
 * plain requests of either version ('request').
 *
 * It guards the time before a request: a socket that sends nothing, or half
 * a request, is dropped after `handshakeTimeoutMs` (an HTTP/2 session that
 * opens no stream too); garbage gets a 400 and is closed.
 */
export class Listener {
  /** The server that listens (and emits 'upgrade' and HTTP/1.1 'request'). */
  readonly server: NetServer;
  /** The server HTTP/2 sessions belong to, or null when HTTP/2 is off. */
  readonly h2: Http2Server | Http2SecureServer | null;
  readonly #http1: Server | Http2SecureServer;
  readonly #sockets = new Set<Duplex>();

  constructor(config: RelayConfig, logger: Logger) {
    const withH2 = http2Enabled(config);
    const http1Options = {
      maxHeaderSize: config.maxHeaderBytes,
      headersTimeout: config.handshakeTimeoutMs,
      requestTimeout: Math.max(config.handshakeTimeoutMs, 30_000),
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectionsCheckingInterval: Math.min(1_000, config.handshakeTimeoutMs),
    };
    const h2Options: SecureServerOptions = {
      settings: {
        enableConnectProtocol: true,
        maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS,
        maxHeaderListSize: config.maxHeaderBytes,
      },
      maxSessionMemory: H2_MAX_SESSION_MEMORY_MB,
    };
    const ms = config.handshakeTimeoutMs;
    if (config.address.tls) {
      const tlsOptions = {
        cert: readFileSync(config.certFile ?? ''),
        key: readFileSync(config.pkFile ?? ''),
        handshakeTimeout: ms,
      };
      let server: Server | Http2SecureServer;
      if (withH2) {
        // One server for both: ALPN picks h2 or http/1.1, which Node hands to its HTTP/1.1 code.
        const secure = createSecureServer({ ...tlsOptions, ...h2Options, allowHTTP1: true });
        // Those HTTP/1.1 connections read their limits from these properties.
        Object.assign(secure, http1Options);
        this.h2 = secure;
        server = secure;
      } else {
        server = createHttpsServer({ ...http1Options, ...tlsOptions });
        this.h2 = null;
      }
      server.on('secureConnection', (socket: Socket & { alpnProtocol?: string | false }) => {
        // An h2 session has its own deadline (see #watchSessions).
        if (socket.alpnProtocol !== 'h2') armDeadline(socket, ms, logger);
      });
      server.on('tlsClientError', (error: Error, socket: Duplex) => {
        logger.info('TLS handshake failed', { reason: error.message, ip: remoteOf(socket) });
        socket.destroy();
      });
      this.#http1 = server;
      this.server = server;
    } else {
      const server = createHttpServer(http1Options);
      server.on('connection', (socket: Duplex) => armDeadline(socket, ms, logger));
      if (withH2) {
        const h2c = createH2cServer(h2Options);
        const [http1OnConnection] = server.listeners('connection').slice(0, 1) as ((socket: Socket) => void)[];
        server.removeListener('connection', http1OnConnection!);
        server.on('connection', function sniffedConnection(socket: Socket) {
          sniffPreface(socket, (isHttp2) => {
            if (isHttp2) {
              clearDeadline(socket);
              h2c.emit('connection', socket);
            } else {
              http1OnConnection!.call(server, socket);
              socket.resume();
            }
          });
        });
        this.h2 = h2c;
      } else {
        this.h2 = null;
      }
      this.#http1 = server;
      this.server = server;
    }
    this.server.on('connection', (socket: Duplex) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#http1.on('clientError', function serverOnClientError(error: NodeJS.ErrnoException, socket: Duplex) {
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      logger.info('bad request before the handshake', { reason: error.code ?? error.message, ip: remoteOf(socket) });
      if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
        const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    if (this.h2) this.#watchSessions(this.h2, ms, logger);
  }

  /** Plain HTTP requests, HTTP/1.1 and HTTP/2 alike. */
  onRequest(handler: (req: AnyRequest, res: AnyResponse) => void): void {
    this.#http1.on('request', handler);
    if (this.h2 && this.h2 !== this.#http1) this.h2.on('request', handler);
  }

  /** HTTP/1.1 upgrade requests. */
  onUpgrade(handler: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): void {
    this.#http1.on('upgrade', handler);
  }

  /** HTTP/2 CONNECT streams (Extended CONNECT among them); never called when HTTP/2 is off. */
  onConnect(handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void): void {
    this.h2?.on('connect', handler);
  }

  /** Cut every connection still open (after the grace of a shutdown). */
  closeAllConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  #watchSessions(h2: Http2Server | Http2SecureServer, ms: number, logger: Logger): void {
    h2.on('sessionError', (error: Error) => logger.info('HTTP/2 session error', { reason: error.message }));
    h2.on('session', function watchSession(session: ServerHttp2Session) {
      let open = 0;
      const deadline = setTimeout(() => {
        logger.info('handshake deadline passed: dropping the HTTP/2 session', { ip: session.socket?.remoteAddress ?? '?', ms });
        session.destroy();
      }, ms);
      deadline.unref();
      session.on('stream', (stream: Duplex) => {
        clearTimeout(deadline);
        open++;
        stream.once('close', () => open--);
      });
      session.once('close', () => clearTimeout(deadline));
      // Idle means no open stream: a WebSocket that is quiet for a while keeps its session.
      session.setTimeout(KEEP_ALIVE_MS, () => {
        if (open === 0) session.close();
      });
    });
  }
}

const deadlines = new WeakMap<Duplex, NodeJS.Timeout>();

function armDeadline(socket: Duplex, ms: number, logger: Logger): void {
  const timer = setTimeout(() => {
    logger.info('handshake deadline passed: dropping the socket', { ip: remoteOf(socket), ms });
    socket.destroy();
  }, ms);
  timer.unref();
  deadlines.set(socket, timer);
  socket.once('close', () => clearDeadline(socket));
}

/** The request (or upgrade) arrived in time: the deadline no longer applies. */
export function clearDeadline(socket: Duplex): void {
  const timer = deadlines.get(socket);
  if (timer) {
    clearTimeout(timer);
    deadlines.delete(socket);
  }
}

function remoteOf(socket: Duplex): string {
  return (socket as { remoteAddress?: string }).remoteAddress ?? '?';
}
