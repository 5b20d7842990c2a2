import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { RelayConfig } from '../config/relay-config.js';
import type { Logger } from '../logger/logger.js';

/**
 * The one listening port: HTTP or HTTPS by the address scheme. Guards the
 * time before a request: a socket that sends nothing, or half a request, is
 * dropped after `handshakeTimeoutMs`; garbage gets a 400 and is closed.
 */
export function createListener(config: RelayConfig, logger: Logger): Server {
  const common = {
    maxHeaderSize: config.maxHeaderBytes,
    headersTimeout: config.handshakeTimeoutMs,
    requestTimeout: Math.max(config.handshakeTimeoutMs, 30_000),
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1_000, config.handshakeTimeoutMs),
  };
  let server: Server;
  if (config.address.tls) {
    server = createHttpsServer({
      ...common,
      cert: readFileSync(config.certFile ?? ''),
      key: readFileSync(config.pkFile ?? ''),
      handshakeTimeout: config.handshakeTimeoutMs,
    });
    server.on('secureConnection', (socket: Duplex) => armDeadline(socket, config.handshakeTimeoutMs, logger));
    server.on('tlsClientError', (error: Error, socket: Duplex) => {
      logger.info('TLS handshake failed', { reason: error.message, ip: remoteOf(socket) });
      socket.destroy();
    });
  } else {
    server = createHttpServer(common);
    server.on('connection', (socket: Duplex) => armDeadline(socket, config.handshakeTimeoutMs, logger));
  }
  server.on('clientError', function serverOnClientError(error: NodeJS.ErrnoException, socket: Duplex) {
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    logger.info('bad request before the handshake', { reason: error.code ?? error.message, ip: remoteOf(socket) });
    if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
      const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  return server;
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
