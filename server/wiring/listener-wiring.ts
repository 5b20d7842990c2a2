import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocketServer } from 'ws';
import type { RelayConfig } from '../config/relay-config.js';
import type { HttpRouter } from '../http/http-router.js';
import type { HandshakeLimiter } from '../limits/handshake-limiter.js';
import type { HttpConnectionCap } from '../limits/http-connection-cap.js';
import type { Logger } from '../logger/logger.js';
import type { AcceptedWebSocket, AcceptorHooks } from '../transport/accepted-websocket.js';
import { clientIp } from '../transport/client-ip.js';
import { ExtendedConnectAcceptor } from '../transport/extended-connect-acceptor.js';
import { clearDeadline, Listener } from '../transport/http-listener.js';
import type { IpMatcher } from '../transport/ip-match.js';
import type { Mounts } from '../transport/mounts.js';
import { UpgradeAcceptor } from '../transport/upgrade-acceptor.js';

/** Hosts that mean "every interface": the listener binds '::' (dual stack), URLs show 127.0.0.1. */
export const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '*', '']);

/** What the listener hands requests and sockets to. */
export interface ListenerParts {
  wss: WebSocketServer;
  http: HttpRouter;
  mounts: Mounts;
  handshakes: HandshakeLimiter;
  httpCap: HttpConnectionCap;
  trustedProxies: IpMatcher;
  /** Every accepted WebSocket, over HTTP/1.1 or HTTP/2, goes here to be admitted or refused. */
  admit(accepted: AcceptedWebSocket): void;
}

/**
 * Open the relay's one port: HTTP/1.1 upgrades, HTTP/2 Extended CONNECT
 * streams and plain requests, in that order of checks (handshake rate,
 * mounted applications, then ours). Resolves once it is listening.
 */
export async function listen(config: RelayConfig, logger: Logger, parts: ListenerParts): Promise<Listener> {
  const listener = new Listener(config, logger);
  const server = listener.server;
  const { handshakes, mounts, trustedProxies } = parts;
  parts.httpCap.watch(server, config.address.tls);
  const hooks: AcceptorHooks = {
    // HTTP/1.1 upgrades meet the handshake rate limit before mounts (below); h2 streams here.
    gate: (applicant) => handshakes.refusal(applicant.ip),
    open: (accepted) => parts.admit(accepted),
  };
  const upgrades = new UpgradeAcceptor(parts.wss, { open: hooks.open });
  const streams = new ExtendedConnectAcceptor(parts.wss, hooks, mounts);
  const failed = (what: string, socket: { destroy(): void }, error: unknown, req?: { url?: string }): void =>
    handlerFailed(logger, what, socket, error, req);
  // All three run on client input: a bug below them costs that one socket or stream, never the process.
  listener.onUpgrade(function listenerOnUpgrade(req, socket, head) {
    try {
      const ip = clientIp(req, trustedProxies);
      if (handshakes.refuse(socket, ip)) return;
      if (mounts.upgrade(req, socket, head)) return;
      clearDeadline(socket);
      upgrades.accept(req, socket, head, ip);
    } catch (error) {
      failed('upgrade handler failed', socket, error, req);
    }
  });
  listener.onConnect(function listenerOnConnect(req, res) {
    try {
      streams.accept(req, res, clientIp(req, trustedProxies));
    } catch (error) {
      failed('HTTP/2 CONNECT handler failed', req.stream, error, req);
    }
  });
  const httpFailed = (error: Error, req: IncomingMessage): void => failed('HTTP handler failed', req.socket, error, req);
  listener.onRequest(function listenerOnRequest(anyReq, anyRes) {
    // The handlers use only what Node's HTTP/2 compatibility API has in common with HTTP/1.1.
    const req = anyReq as IncomingMessage;
    const res = anyRes as ServerResponse;
    try {
      if (mounts.request(req, res)) return;
      clearDeadline(req.socket);
      parts.http.handle(req, res, clientIp(req, trustedProxies), httpFailed);
    } catch (error) {
      failed('HTTP handler failed', req.socket, error, req);
    }
  });
  const host = WILDCARD_HOSTS.has(config.address.host) ? '::' : config.address.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: config.address.port, host, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('listener error', { reason: error.message }));
  return listener;
}

/** A handler threw on client input: log it and drop that client's socket. */
function handlerFailed(logger: Logger, what: string, socket: { destroy(): void }, error: unknown, req?: { url?: string }): void {
  logger.error(what, {
    path: req?.url,
    ip: (socket as { remoteAddress?: string }).remoteAddress,
    reason: (error as Error)?.message ?? String(error),
  });
  socket.destroy();
}
