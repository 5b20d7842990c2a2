import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * A backend client that talks to the relay the way the original PHP client
 * does: it writes the handshake by hand (Client-Type: php, Ident, Origin),
 * masks its frames, reads the 101 with `fread(1024)` and `ready` with a
 * second `fread(1024)`, reads every later message with `fread(8192)`,
 * decodes only the FIRST frame of each read and drops the rest of what that
 * read returned, and closes with an empty close frame. Like PHP's stream
 * layer it buffers: a read returns at most its length, and what it did not
 * take stays for the next read. Tests that pass with it are honest about
 * what a v1 PHP backend sees.
 */
export interface PhpStyleOptions {
  port: number;
  host?: string;
  path?: string;
  ident?: string;
  tls?: boolean;
  /** Extra or replaced request headers (null removes one). */
  headers?: Record<string, string | null>;
  timeoutMs?: number;
  /** Read the 101 exactly to its end instead of with PHP's fread(1024) (for non-PHP raw clients). */
  exactHandshakeRead?: boolean;
}

export interface Frame {
  opcode: number;
  fin: boolean;
  payload: Buffer;
  text: string;
}

export class PhpStyleClient {
  readonly socket: Socket;
  /** The status line and headers of the handshake answer. */
  response = '';
  uuid = '';
  #pending: Buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #ended = false;
  #expectedAccept = '';
  #sentMessage = false;
  #exactHandshakeRead = false;
  readonly #timeoutMs: number;

  private constructor(socket: Socket, timeoutMs: number) {
    this.socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.on('data', (chunk: Buffer) => {
      this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
      this.#wake();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('error', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  /** Open the socket and send the handshake; does not read anything yet. */
  static async open(options: PhpStyleOptions): Promise<PhpStyleClient> {
    const host = options.host ?? '127.0.0.1';
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = options.tls
        ? tlsConnect({ host, port: options.port, rejectUnauthorized: false }, () => resolve(s))
        : netConnect({ host, port: options.port }, () => resolve(s));
      s.once('error', reject);
    });
    socket.setNoDelay(true);
    const client = new PhpStyleClient(socket, options.timeoutMs ?? 5_000);
    client.#exactHandshakeRead = options.exactHandshakeRead ?? false;
    const key = randomBytes(16).toString('base64');
    const headers: Record<string, string | null> = {
      Host: host,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': key,
      Origin: `${options.tls ? 'https' : 'http'}://${host}`,
      'Sec-WebSocket-Version': '13',
      'Client-Type': 'php',
      Ident: options.ident ?? '',
      ...options.headers,
    };
    const lines = [`GET ${options.path ?? '/php'} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) if (value !== null) lines.push(`${name}: ${value}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    client.#expectedAccept = createHash('sha1')
      .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    return client;
  }

  /** Connect, read the 101 with one read and `ready` with a second, as the PHP client does. */
  static async connect(options: PhpStyleOptions): Promise<PhpStyleClient> {
    const client = await PhpStyleClient.open(options);
    await client.readHandshake();
    // websocketPhp reads `ready` with fread(1024) and decodes the first frame.
    const ready = decodeFrame(await client.#read(1024));
    const packet = JSON.parse(ready.text) as { opcode: string; uuid?: string; error?: string };
    if (packet.opcode !== 'ready') {
      client.destroy();
      throw new Error(`expected ready, got ${ready.text}`);
    }
    client.uuid = packet.uuid ?? '';
    return client;
  }

  /** Wait (without reading) until at least `bytes` have arrived: simulates a slow reader. */
  async waitForBuffered(bytes: number): Promise<void> {
    while (this.#pending.length < bytes) {
      if (this.#ended) throw new Error('connection closed by the server');
      await this.#waitForData();
    }
  }

  /** Read `ready` the way websocketPhp does (fread 1024, first frame). */
  async readReady(): Promise<{ opcode: string; uuid?: string }> {
    return JSON.parse(decodeFrame(await this.#read(1024)).text) as { opcode: string; uuid?: string };
  }

  /** `fread($socket, 1024)` of the handshake answer; bytes after the headers in it are lost, as in PHP. */
  async readHandshake(): Promise<string> {
    if (this.#exactHandshakeRead) {
      while (!this.#pending.includes('\r\n\r\n')) await this.#waitForData();
    }
    const length = this.#exactHandshakeRead ? this.#pending.indexOf('\r\n\r\n') + 4 : 1024;
    const chunk = await this.#read(length);
    this.response = chunk.toString('latin1');
    const end = this.response.indexOf('\r\n\r\n');
    if (end >= 0) this.response = this.response.slice(0, end);
    const accept = /sec-websocket-accept:\s*(\S+)/i.exec(this.response)?.[1];
    if (!this.response.startsWith('HTTP/1.1 101') || accept !== this.#expectedAccept) {
      throw new Error(`handshake refused: ${this.response.split('\r\n')[0] ?? ''}`);
    }
    return this.response;
  }

  /**
   * Read like the PHP client: one read, decode its first frame (reading on
   * only while that frame's payload is incomplete), discard the rest.
   * Pings are answered with a pong and reading goes on.
   */
  async readFrame(): Promise<Frame> {
    for (;;) {
      let data = await this.#read(8192);
      while (!frameComplete(data)) data = Buffer.concat([data, await this.#read(8192)]);
      const frame = decodeFrame(data);
      if (frame.opcode === 9) {
        this.sendFrame(10, frame.payload);
        continue;
      }
      return frame;
    }
  }

  /** Read a frame and parse it as JSON. */
  async readPacket(): Promise<{ opcode: string; [k: string]: unknown }> {
    const frame = await this.readFrame();
    if (frame.opcode === 8) return { opcode: '<close-frame>', code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 0 };
    return JSON.parse(frame.text) as { opcode: string };
  }

  /**
   * After the relay's close packet: the close code of the close frame, or
   * null when the frame reached us in the same read as the packet and was
   * dropped, as the PHP client drops it; then the relay must still end the
   * connection.
   */
  async closeCode(): Promise<number | null> {
    try {
      const frame = await this.readFrame();
      if (frame.opcode !== 8) throw new Error(`expected a close frame, got opcode ${frame.opcode}: ${frame.text}`);
      return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 0;
    } catch (error) {
      if (!this.#ended) throw error;
      return null;
    }
  }

  /**
   * Send a masked message the way websocketPhp does: its first message is a
   * text frame, every later one goes out as FIN + opcode 0 (its encoder
   * never resets its "first fragment" flag).
   */
  send(text: string | Buffer): void {
    this.sendFrame(this.#sentMessage ? 0 : 1, typeof text === 'string' ? Buffer.from(text) : text);
    this.#sentMessage = true;
  }

  /** Stop and wait, as websocketPhp::writeWait: send, read one frame, expect `next`. */
  async talk(message: object | string): Promise<void> {
    this.send(typeof message === 'string' ? message : JSON.stringify(message));
    const answer = await this.readPacket();
    if (answer.opcode !== 'next') throw new Error(`expected next, got ${JSON.stringify(answer)}`);
  }

  sendFrame(opcode: number, payload: Buffer, fin = true): void {
    this.socket.write(encodeMaskedFrame(opcode, payload, fin));
  }

  /** Close as the PHP client does: an empty close frame, then the socket. */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.write(encodeMaskedFrame(8, Buffer.alloc(0), true));
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves when the server has closed the TCP connection. */
  async closed(): Promise<void> {
    while (!this.#ended) await this.#waitForData();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Like PHP's fread on a socket: waits for data, returns at most `length` bytes. */
  async #read(length: number): Promise<Buffer> {
    while (this.#pending.length === 0) {
      if (this.#ended) throw new Error('connection closed by the server');
      await this.#waitForData();
    }
    const out = this.#pending.subarray(0, length);
    this.#pending = this.#pending.subarray(out.length);
    return out;
  }

  #waitForData(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(new Error(`no data from the server within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

export function encodeMaskedFrame(opcode: number, payload: Buffer, fin: boolean): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65_536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, headerLength);
  const offset = headerLength + 4;
  for (let i = 0; i < length; i++) frame[offset + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** Where the payload of the (unmasked) frame at the start of `data` lies; null while its header is incomplete. */
export function payloadBounds(data: Buffer): { start: number; length: number } | null {
  if (data.length < 2) return null;
  let length = data[1]! & 0x7f;
  let start = 2;
  if (length === 126) {
    if (data.length < 4) return null;
    length = data.readUInt16BE(2);
    start = 4;
  } else if (length === 127) {
    if (data.length < 10) return null;
    length = Number(data.readBigUInt64BE(2));
    start = 10;
  }
  return { start, length };
}

function frameComplete(data: Buffer): boolean {
  const bounds = payloadBounds(data);
  return bounds !== null && data.length >= bounds.start + bounds.length;
}

/** Decode the first frame of `data`; whatever follows it is ignored. */
export function decodeFrame(data: Buffer): Frame {
  const bounds = payloadBounds(data)!;
  const payload = data.subarray(bounds.start, bounds.start + bounds.length);
  return { opcode: data[0]! & 0x0f, fin: (data[0]! & 0x80) !== 0, payload, text: payload.toString('utf8') };
}
