import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Duplex } from 'node:stream';
import { clearDeadline } from './http-listener.js';
import { upgradeOverStream } from './upgrade-over-stream.js';

/**
 * An application that owns a URL prefix on the relay's port (e.g. socket.io
 * at /socket.io). What an implementer guarantees:
 * - `request` answers (or destroys) every request it is given;
 * - `upgrade` takes the socket over: it completes the handshake or destroys
 *   the socket, and never hands it back;
 * - neither throws for anything a client sends.
 */
export interface MountedApp {
  /** A plain HTTP request whose path is the prefix or below it. */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** An upgrade request whose path is the prefix or below it. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** A prefix is one or more path segments: `/socket.io`, `/apps/queue`. */
const PREFIX = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/;

/**
 * Routes requests and upgrades by path prefix to the applications mounted
 * there, before the relay's own admission and upgrade handling. A prefix
 * matches whole segments: `/socket.io` owns `/socket.io` and
 * `/socket.io/…`, never `/socket.iox`. Whatever no mount claims stays the
 * relay's, untouched.
 *
 * @example
 * mounts.mount('/socket.io', { request: (req, res) => engine.handleRequest(req, res), upgrade: … });
 * server.on('upgrade', (req, socket, head) => mounts.upgrade(req, socket, head) || relayOnUpgrade(req, socket, head));
 */
export class Mounts {
  readonly #apps = new Map<string, MountedApp>();

  /** Give `prefix` to `app`; throws on a malformed prefix or one that overlaps another mount. */
  mount(prefix: string, app: MountedApp): void {
    if (!PREFIX.test(prefix) || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
      throw new Error(`cannot mount at "${prefix}": a prefix is /segment[/segment…] without a trailing slash`);
    }
    for (const taken of this.#apps.keys()) {
      if (covers(taken, prefix) || covers(prefix, taken)) throw new Error(`cannot mount at "${prefix}": it overlaps "${taken}"`);
    }
    this.#apps.set(prefix, app);
  }

  /** Give the prefix back to the relay. */
  unmount(prefix: string): void {
    this.#apps.delete(prefix);
  }

  /** The application owning `path` (without the query string), if any. */
  owner(path: string): MountedApp | undefined {
    // Mounts never overlap, so at most one matches; there are few of them.
    for (const [prefix, app] of this.#apps) if (covers(prefix, path)) return app;
    return undefined;
  }

  /** Hand a request to its mount; false when no mount owns its path (the relay handles it). */
  request(req: IncomingMessage, res: ServerResponse): boolean {
    const app = this.#apps.size === 0 ? undefined : this.owner(pathOf(req));
    if (!app) return false;
    clearDeadline(req.socket);
    app.request(req, res);
    return true;
  }

  /** Hand an upgrade to its mount; false when no mount owns its path (the relay handles it). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const app = this.#apps.size === 0 ? undefined : this.owner(pathOf(req));
    if (!app) return false;
    clearDeadline(socket);
    app.upgrade(req, socket, head);
    return true;
  }

  /**
   * Hand an HTTP/2 Extended CONNECT (RFC 8441) to its mount, presented as
   * the HTTP/1.1 upgrade the application knows; false when no mount owns its path.
   */
  extendedConnect(req: Http2ServerRequest): boolean {
    const app = this.#apps.size === 0 ? undefined : this.owner(pathOf(req));
    if (!app) return false;
    const upgrade = upgradeOverStream(req);
    app.upgrade(upgrade.req, upgrade.socket, upgrade.head);
    return true;
  }
}

function pathOf(req: { url?: string | undefined }): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** True when `path` is `prefix` or lies below it. */
function covers(prefix: string, path: string): boolean {
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47); /* / */
}
