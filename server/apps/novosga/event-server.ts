/**
 * The Novo SGA event server: socket.io 4 (speaking the 2.x clients' EIO3
 * too) served through the relay's mount seam. socket.io is attached to a
 * host HTTP server that never listens; the mount hands it the requests and
 * upgrades under its path, so it never sees, and can never destroy, an
 * upgrade of ours.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import type { Logger } from '../../logger/logger.js';
import type { MountedApp } from '../../transport/mounts.js';
import { NovosgaClient, type ClientContext, type NovosgaCounters } from './novosga-client.js';

/** What the event server needs from the relay around it. */
export interface EventServerOptions {
  /** The socket.io path, e.g. /socket.io. */
  path: string;
  secret: string;
  logger: Logger;
  /** The client's IP, as the relay reads it (X-Forwarded-For from trusted proxies only). */
  clientIp(req: IncomingMessage): string;
  /** Null when a new client may connect, else why not (the relay's limits and shutdown). */
  admit(ip: string, connectedFromIp: number): string | null;
  /** Events per second per socket; 0 = no limit. */
  maxEventRate: number;
  /** How long a connected socket may stay unregistered. */
  registerTimeoutMs: number;
  /** socket.io adapter (the Redis one for several nodes); default in-memory. */
  adapter?: ServerOptions['adapter'];
}

/** Events are small (a unity, a list of service ids, a hash): a larger packet is refused by socket.io. */
export const MAX_PACKET_BYTES = 16 * 1024;

export class NovosgaEventServer implements MountedApp {
  readonly io: Server;
  readonly counters: NovosgaCounters = { events: 0, refused: new Map() };
  readonly #host: HttpServer;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #perIp = new Map<string, number>();
  /** Upgraded sockets: node's server no longer tracks them, so stop() must end them. */
  readonly #upgraded = new Set<Duplex>();
  readonly #context: ClientContext;
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #afterClose: (() => Promise<void>)[] = [];

  constructor(options: EventServerOptions) {
    this.#logger = options.logger;
    this.#prefix = `${options.path}/`;
    this.#host = createServer();
    // engine.io passes on what it does not claim (e.g. the path without its slash) to earlier listeners.
    this.#host.on('request', function notOurs(_req: IncomingMessage, res: ServerResponse) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    this.io = new Server(this.#host, {
      path: options.path,
      allowEIO3: true,
      serveClient: true,
      destroyUpgrade: false,
      maxHttpBufferSize: MAX_PACKET_BYTES,
      connectTimeout: 10_000,
      // No cookies are set or read: letting any page's script in grants what a WebSocket already could.
      cors: { origin: true, credentials: true },
      allowRequest: (req, callback) => {
        const ip = options.clientIp(req);
        const refusal = this.#closed ? 'shutting down' : options.admit(ip, this.#perIp.get(ip) ?? 0);
        if (refusal) this.#logger.warn('novosga client refused', { ip, reason: refusal });
        callback(refusal, refusal === null);
      },
      ...(options.adapter ? { adapter: options.adapter } : {}),
    });
    const secretDigest = digest(options.secret);
    this.#context = {
      io: this.io,
      logger: this.#logger,
      secretMatches: (secret) => timingSafeEqual(digest(secret), secretDigest),
      maxEventRate: options.maxEventRate,
      counters: this.counters,
    };
    this.io.engine.on('connection', (conn: { request: IncomingMessage; once(event: 'close', fn: () => void): void }) => {
      const ip = options.clientIp(conn.request);
      this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
      conn.once('close', () => {
        const left = (this.#perIp.get(ip) ?? 1) - 1;
        if (left > 0) this.#perIp.set(ip, left);
        else this.#perIp.delete(ip);
      });
    });
    this.io.on('connection', (socket) => this.#onConnection(socket, options));
  }

  /** Connected socket.io clients on this node. */
  get clientCount(): number {
    return this.io.engine.clientsCount;
  }

  request(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.#host.emit('request', req, res);
    } catch (error) {
      this.#logger.error('novosga request failed', { reason: (error as Error).message, path: req.url });
      res.destroy();
    }
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closed || !(req.url ?? '').startsWith(this.#prefix)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    const upgraded = this.#upgraded;
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    try {
      this.#host.emit('upgrade', req, socket, head);
    } catch (error) {
      this.#logger.error('novosga upgrade failed', { reason: (error as Error).message, path: req.url });
      socket.destroy();
    }
  }

  /** Run `fn` once every client is disconnected (e.g. close the Redis connections). */
  afterClose(fn: () => Promise<void>): void {
    this.#afterClose.push(fn);
  }

  /**
   * Disconnect every client (sockets that do not close within `graceMs` are
   * destroyed), then run the afterClose functions. Every call returns the same promise.
   */
  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    this.#closed = true;
    const cut = setTimeout(() => {
      for (const socket of this.#upgraded) socket.destroy();
    }, graceMs);
    cut.unref();
    await this.io.close();
    for (const fn of this.#afterClose) await fn();
  }

  #onConnection(socket: Socket, options: EventServerOptions): void {
    const ip = options.clientIp(socket.request);
    const client = new NovosgaClient(socket, this.#context, ip);
    this.#logger.info('novosga client connected', {
      client: socket.id,
      ip,
      eio: socket.conn.protocol,
      transport: socket.conn.transport.name,
    });
    // A client that never registers holds a connection for nothing: the product's register at once.
    const timer = setTimeout(() => {
      if (client.registration?.role) return;
      this.#logger.info('novosga client did not register in time: disconnecting', { client: socket.id, ip });
      socket.disconnect(true);
    }, options.registerTimeoutMs);
    timer.unref();
    socket.on('disconnect', (reason) => {
      clearTimeout(timer);
      this.#logger.info('novosga client disconnected', { client: socket.id, ip, reason, role: client.registration?.role });
    });
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
