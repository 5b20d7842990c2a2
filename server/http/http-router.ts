import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

export interface HttpContext {
  /** The client's IP (X-Forwarded-For only from trusted proxies). */
  clientIp: string;
  /** The request path without the query string. */
  path: string;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, ctx: HttpContext) => void | Promise<void>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Write a JSON body with the right headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Told of a handler's error, with the request it failed on. */
export type HttpErrorHandler = (error: Error, req: IncomingMessage) => void;

function failed(req: IncomingMessage, res: ServerResponse, error: unknown, onError: HttpErrorHandler): void {
  if (!res.headersSent) sendJson(res, 500, { error: 'internal error', code: 'INTERNAL' });
  else res.destroy();
  onError(error instanceof Error ? error : new Error(String(error)), req);
}

/**
 * Plain HTTP on the relay's port: exact routes by method and path, then
 * static folders by prefix, else 404. Handlers' errors become a 500 answer.
 */
export class HttpRouter {
  /** Handlers by path, then by method: no key is built per request. */
  readonly #routes = new Map<string, Map<string, HttpHandler>>();
  readonly #statics: { prefix: string; dir: string }[] = [];
  /** Handlers of every path below a prefix, any method (the Pusher API's /apps/{id}/…). */
  readonly #prefixes: { prefix: string; handler: HttpHandler }[] = [];

  add(method: string, path: string, handler: HttpHandler): void {
    let byMethod = this.#routes.get(path);
    if (byMethod === undefined) this.#routes.set(path, (byMethod = new Map()));
    byMethod.set(method.toUpperCase(), handler);
  }

  /** Hand every request whose path starts with `prefix` (and has no exact route) to `handler`, whatever its method. */
  addPrefix(prefix: string, handler: HttpHandler): void {
    this.#prefixes.push({ prefix, handler });
  }

  /** Serve files below `dir` under the URL prefix (`/` maps to index.html). */
  addStatic(prefix: string, dir: string): void {
    const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.#statics.push({ prefix: normalized, dir: resolve(dir) });
    // Longest prefix first, so /client/ wins over /.
    this.#statics.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /**
   * Answer one request. Synchronous when the handler is (the publish fast
   * path has no Promise to wait on); a handler's error, thrown or rejected,
   * becomes a 500 and is passed to `onError` with the request (one
   * function for all requests: no closure per request).
   */
  handle(req: IncomingMessage, res: ServerResponse, clientIp: string, onError: HttpErrorHandler): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const ctx: HttpContext = { clientIp, path };
    const handler = this.#routes.get(path)?.get(req.method ?? 'GET') ?? this.#prefixed(path);
    try {
      if (handler) {
        const result = handler(req, res, ctx);
        if (result !== undefined) result.catch((error: unknown) => failed(req, res, error, onError));
        return;
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && this.#serveStatic(req, res, path)) return;
      if (this.#routes.has(path)) {
        sendJson(res, 405, { error: `method ${req.method} is not allowed on ${path}`, code: 'METHOD_NOT_ALLOWED' });
        return;
      }
      if (path === '/') {
        const text = 'websock-relay: connect with a WebSocket client to /web (pages) or /php (backends).\n';
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
        return;
      }
      sendJson(res, 404, { error: `nothing at ${path}`, code: 'NOT_FOUND' });
    } catch (error) {
      failed(req, res, error, onError);
    }
  }

  #prefixed(path: string): HttpHandler | undefined {
    for (const { prefix, handler } of this.#prefixes) if (path.startsWith(prefix)) return handler;
    return undefined;
  }

  #serveStatic(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    for (const { prefix, dir } of this.#statics) {
      if (!(path + '/').startsWith(prefix) && !path.startsWith(prefix)) continue;
      let relative: string;
      try {
        relative = decodeURIComponent(path.slice(prefix.length - 1));
      } catch {
        return false;
      }
      if (relative === '' || relative.endsWith('/')) relative += 'index.html';
      const file = normalize(join(dir, relative));
      // Never leave the folder (../ tricks).
      if (file !== dir && !file.startsWith(dir + sep)) return false;
      let size: number;
      try {
        const stat = statSync(file);
        if (!stat.isFile()) continue;
        size = stat.size;
      } catch {
        continue;
      }
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      return true;
    }
    return false;
  }
}
