import { randomBytes } from 'node:crypto';
import { IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import type { Http2ServerRequest, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Duplex } from 'node:stream';

/** A handshake answer longer than this is not one: the stream is reset. */
const MAX_ANSWER_HEAD = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/** HTTP/1.1 hop-by-hop headers, which HTTP/2 forbids in an answer (RFC 9113 §8.2.2). */
const HOP_BY_HOP = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'sec-websocket-accept']);

/** An HTTP/1.1 upgrade made from an HTTP/2 Extended CONNECT stream. */
export interface UpgradeFromStream {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

/**
 * Presents an RFC 8441 Extended CONNECT stream to code that only knows
 * HTTP/1.1 upgrades (a mounted application such as engine.io, which runs
 * its own `ws` server): the request becomes a GET with `Upgrade: websocket`
 * and a fresh `Sec-WebSocket-Key`, and the stream becomes a socket whose
 * first write, the application's `101 Switching Protocols` answer, is turned
 * into the stream's `200` (with its subprotocol and extensions) — or, when
 * the application refuses, into that status and body. After the answer the
 * bytes pass through unchanged: a WebSocket's frames are the same on both.
 *
 * Once advertised, browsers send every wss:// of the origin this way, so
 * without this a mount would be unreachable over h2.
 */
export function upgradeOverStream(req: Http2ServerRequest): UpgradeFromStream {
  const peer = req.stream.session?.socket;
  const socket = new StreamSocket(req.stream, {
    remoteAddress: peer?.remoteAddress,
    remotePort: peer?.remotePort,
    encrypted: (peer as { encrypted?: boolean } | undefined)?.encrypted === true,
  });
  const upgrade = new IncomingMessage(socket as never);
  upgrade.method = 'GET';
  upgrade.url = req.url;
  upgrade.httpVersion = '1.1';
  upgrade.httpVersionMajor = 1;
  upgrade.httpVersionMinor = 1;
  upgrade.headers = h1Headers(req.headers);
  upgrade.rawHeaders = Object.entries(upgrade.headers).flatMap(([name, value]) =>
    Array.isArray(value) ? value.flatMap((v) => [name, v]) : [name, String(value)],
  );
  upgrade.complete = true;
  upgrade.push(null);
  return { req: upgrade, socket, head: Buffer.alloc(0) };
}

function h1Headers(h2: IncomingHttpHeaders): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(h2)) {
    if (name.startsWith(':') || value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  const authority = h2[':authority'];
  if (authority !== undefined && headers.host === undefined) headers.host = String(authority);
  headers.connection = 'Upgrade';
  headers.upgrade = 'websocket';
  // The key only makes the application's ws compute an Accept that HTTP/2 does not send.
  headers['sec-websocket-key'] = randomBytes(16).toString('base64');
  return headers;
}

interface Peer {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  encrypted: boolean;
}

/** The stream as the socket an HTTP/1.1 upgrade handler expects. */
class StreamSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly encrypted: boolean;
  readonly #stream: ServerHttp2Stream;
  /** Bytes of the answer head until its blank line; null once answered. */
  #head: Buffer[] | null = [];
  #headSize = 0;
  /** The application answered with an HTTP error instead of switching protocols. */
  #refused = false;

  constructor(stream: ServerHttp2Stream, peer: Peer) {
    super({ allowHalfOpen: true });
    this.#stream = stream;
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    this.encrypted = peer.encrypted;
    stream.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stream.pause();
    });
    stream.on('end', () => this.push(null));
    // A reset or failed stream ends the socket; its error is the stream's
    // business (a listener is always there), never an unhandled 'error' here.
    stream.on('close', () => this.destroy());
    stream.on('error', () => this.destroy());
  }

  // What ws and engine.io call on a net.Socket; the HTTP/2 session owns these.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }

  override _read(): void {
    this.#stream.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.#head === null) {
      this.#forward(chunk, done);
      return;
    }
    this.#head.push(chunk);
    this.#headSize += chunk.length;
    const pending = Buffer.concat(this.#head);
    const end = pending.indexOf(HEAD_END);
    if (end === -1) {
      if (this.#headSize > MAX_ANSWER_HEAD) {
        this.#stream.close();
        done(new Error('the upgrade answer has no end of head'));
      } else done();
      return;
    }
    this.#head = null;
    this.#answer(pending.subarray(0, end).toString('latin1'));
    const rest = pending.subarray(end + HEAD_END.length);
    if (rest.length > 0) this.#forward(rest, done);
    else done();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.#stream.destroyed && !this.#stream.writableEnded) this.#stream.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // A refusal is written and destroyed at once (engine.io's abortUpgrade): end it so its body still goes out.
    if (this.#refused && !this.#stream.destroyed && !this.#stream.writableEnded) this.#stream.end();
    else if (!this.#stream.destroyed) this.#stream.destroy();
    done(error);
  }

  #forward(chunk: Buffer, done: (error?: Error | null) => void): void {
    if (this.#stream.destroyed || this.#stream.writableEnded) {
      done();
      return;
    }
    // The stream's flow control is the backpressure: ws waits on this callback.
    this.#stream.write(chunk, () => done());
  }

  /** Turn the HTTP/1.1 answer head into the stream's HTTP/2 response. */
  #answer(head: string): void {
    if (this.#stream.destroyed || this.#stream.headersSent) return;
    const [statusLine = '', ...lines] = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 502);
    this.#refused = status !== 101;
    const headers: OutgoingHttpHeaders = { ':status': status === 101 ? 200 : status };
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (HOP_BY_HOP.has(name) || (status !== 101 && name === 'content-length')) continue;
      headers[name] = line.slice(colon + 1).trim();
    }
    this.#stream.respond(headers);
  }
}
