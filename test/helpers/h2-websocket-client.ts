import {
  connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { encodeMaskedFrame, type Frame } from './php-style-client.js';

/**
 * A client of RFC 8441 written by hand on Node's http2 client, for tests:
 * one HTTP/2 connection (TLS with ALPN h2, or h2c with prior knowledge) on
 * which each `websocket()` is an Extended CONNECT stream. Frames are masked
 * and read by hand, as the raw-socket tests do over TCP.
 */
export class H2Connection {
  readonly session: ClientHttp2Session;
  /** The server's SETTINGS_ENABLE_CONNECT_PROTOCOL, known once open() resolved. */
  enableConnectProtocol = false;

  private constructor(session: ClientHttp2Session) {
    this.session = session;
  }

  /** Connect and wait for the server's SETTINGS. */
  static async open(options: {
    port: number;
    tls?: boolean;
    ca?: Buffer;
    timeoutMs?: number;
    localAddress?: string;
  }): Promise<H2Connection> {
    const authority = `${options.tls ? 'https' : 'http'}://127.0.0.1:${options.port}`;
    // localAddress reaches net.connect / tls.connect, which Node's http2 client calls (its types omit it).
    const local = (options.localAddress ? { localAddress: options.localAddress } : {}) as SecureClientSessionOptions;
    const session = connect(authority, options.tls ? { ...local, ca: options.ca, rejectUnauthorized: options.ca !== undefined } : local);
    const conn = new H2Connection(session);
    session.on('error', () => {});
    await within<void>(options.timeoutMs ?? 5_000, 'no SETTINGS from the server', (resolve, reject) => {
      session.once('remoteSettings', (settings) => {
        conn.enableConnectProtocol = settings.enableConnectProtocol === true;
        resolve();
      });
      session.once('error', reject);
      session.once('close', () => reject(new Error('session closed before SETTINGS')));
    });
    return conn;
  }

  /** Open an Extended CONNECT stream; resolves with the answer's headers and the WebSocket (if 200). */
  async websocket(
    path: string,
    options: { protocols?: string[]; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; ws: H2RawWebSocket }> {
    const headers: Record<string, string> = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':path': path,
      ':scheme': 'https',
      'sec-websocket-version': '13',
      origin: 'http://localhost',
      ...options.headers,
    };
    if (options.protocols?.length) headers['sec-websocket-protocol'] = options.protocols.join(', ');
    const stream = this.session.request(headers);
    const ws = new H2RawWebSocket(stream, options.timeoutMs ?? 5_000);
    const answer = await within<IncomingHttpHeaders>(options.timeoutMs ?? 5_000, `no answer to CONNECT ${path}`, (resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    return { status: Number(answer[':status']), headers: answer, ws };
  }

  /** A plain request on the same connection; resolves with status, headers and body text. */
  async request(
    method: string,
    path: string,
    body?: string,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const stream = this.session.request({ ':method': method, ':path': path, ...extra });
    if (body !== undefined) stream.end(body);
    else stream.end();
    stream.setEncoding('utf8');
    let text = '';
    stream.on('data', (chunk: string) => (text += chunk));
    const headers = await within<IncomingHttpHeaders>(5_000, `no answer to ${method} ${path}`, (resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    await within<void>(5_000, `no end of ${method} ${path}`, (resolve, reject) => {
      stream.once('end', () => resolve(undefined));
      stream.once('error', reject);
    });
    return { status: Number(headers[':status']), headers, body: text };
  }

  close(): void {
    this.session.destroy();
  }
}

/** One WebSocket on one HTTP/2 stream, frames by hand. */
export class H2RawWebSocket {
  readonly stream: ClientHttp2Stream;
  uuid = '';
  /** What arrived and was not yet cut into frames (kept as a list: a 16 MiB message comes in ~1000 reads). */
  #chunks: Buffer[] = [];
  #size = 0;
  #ended = false;
  #waiters: (() => void)[] = [];
  readonly #timeoutMs: number;

  constructor(stream: ClientHttp2Stream, timeoutMs: number) {
    this.stream = stream;
    this.#timeoutMs = timeoutMs;
    stream.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      this.#wake();
    });
    const ended = (): void => {
      this.#ended = true;
      this.#wake();
    };
    stream.on('end', ended);
    stream.on('close', ended);
    stream.on('error', ended);
  }

  /** True once the stream ended or was reset. */
  get ended(): boolean {
    return this.#ended;
  }

  sendText(text: string): void {
    this.stream.write(encodeMaskedFrame(0x1, Buffer.from(text), true));
  }

  send(packet: object): void {
    this.sendText(JSON.stringify(packet));
  }

  sendFrame(opcode: number, payload: Buffer, fin = true): void {
    this.stream.write(encodeMaskedFrame(opcode, payload, fin));
  }

  /** Close frame with a code (and end our side, as a client does after the server's answer). */
  sendClose(code: number, reason = ''): void {
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.sendFrame(0x8, payload);
  }

  async nextFrame(timeoutMs = this.#timeoutMs): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.#takeFrame();
      if (frame) return frame;
      if (this.#ended) throw new Error('stream ended while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next text frame as JSON (pings are answered with pongs on the way). */
  async nextPacket(timeoutMs = this.#timeoutMs): Promise<{ opcode: string; [k: string]: unknown }> {
    for (;;) {
      const frame = await this.nextFrame(timeoutMs);
      if (frame.opcode === 0x9) {
        this.sendFrame(0xa, frame.payload);
        continue;
      }
      if (frame.opcode !== 0x1) throw new Error(`expected a text frame, got opcode ${frame.opcode}`);
      return JSON.parse(frame.text) as { opcode: string };
    }
  }

  /** Read `ready` and keep the uuid. */
  async ready(): Promise<{ opcode: string; [k: string]: unknown }> {
    const packet = await this.nextPacket();
    if (packet.opcode !== 'ready') throw new Error(`expected ready, got ${JSON.stringify(packet)}`);
    this.uuid = String(packet.uuid);
    return packet;
  }

  /** Wait until the stream has ended (both sides closed or reset). */
  async closed(timeoutMs = this.#timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`stream not closed within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  destroy(): void {
    this.stream.destroy();
  }

  /** Cut one whole server frame (unmasked) off the front of what arrived, if there is one. */
  #takeFrame(): Frame | null {
    if (this.#size < 2) return null;
    if (this.#chunks[0]!.length < 10 && this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    const head = this.#chunks[0]!;
    let length = head[1]! & 0x7f;
    let start = 2;
    if (length === 126) {
      if (head.length < 4) return null;
      length = head.readUInt16BE(2);
      start = 4;
    } else if (length === 127) {
      if (head.length < 10) return null;
      length = Number(head.readBigUInt64BE(2));
      start = 10;
    }
    if (this.#size < start + length) return null;
    const data = this.#chunks.length === 1 ? head : Buffer.concat(this.#chunks, this.#size);
    const payload = Buffer.from(data.subarray(start, start + length));
    const rest = data.subarray(start + length);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#size = rest.length;
    return { opcode: data[0]! & 0x0f, fin: (data[0]! & 0x80) !== 0, payload, text: payload.toString('utf8') };
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

function within<T>(ms: number, what: string, body: (resolve: (value: T) => void, reject: (error: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(what)), ms);
    body(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
