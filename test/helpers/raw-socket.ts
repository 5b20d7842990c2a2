import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { decodeFrame, type Frame } from './php-style-client.js';

/**
 * A raw TCP client for hostile input: writes exactly the bytes it is given
 * and collects every byte the relay sends until it closes. `localAddress`
 * 127.0.0.2 plays an outsider (neither in allowedIP nor holding a secret).
 */
export class RawSocket {
  readonly socket: Socket;
  #chunks: Buffer[] = [];
  #ended = false;
  #error: NodeJS.ErrnoException | null = null;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error = error;
      this.#wake();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  static open(port: number, localAddress?: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Everything received so far. */
  get data(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The socket error seen, if any (ECONNRESET when the relay reset the connection). */
  get error(): NodeJS.ErrnoException | null {
    return this.#error;
  }

  /** Wait until the relay closed the connection; false if it did not within `timeoutMs`. */
  async closed(timeoutMs = 5_000): Promise<boolean> {
    await this.until(() => this.#ended, timeoutMs).catch(() => {});
    return this.#ended;
  }

  /** Wait until `condition` holds (checked whenever bytes arrive or the socket ends). */
  async until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`condition not met within ${timeoutMs} ms; got ${JSON.stringify(this.data.toString('latin1').slice(0, 300))}`);
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
    this.socket.destroy();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A WebSocket upgrade request with these headers added or replaced (null removes one). */
export function upgradeRequest(path: string, headers: Record<string, string | null> = {}): string {
  const all: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = [`GET ${path} HTTP/1.1`];
  for (const [name, value] of Object.entries(all)) if (value !== null) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
}

/** Split what a WebSocket server sent into its HTTP head and every whole frame after it. */
export function parseServerBytes(data: Buffer): { head: string; frames: Frame[] } {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { head: data.toString('latin1'), frames: [] };
  const frames: Frame[] = [];
  let rest = data.subarray(end + 4);
  while (rest.length >= 2) {
    let length = rest[1]! & 0x7f;
    let start = 2;
    if (length === 126) {
      if (rest.length < 4) break;
      length = rest.readUInt16BE(2);
      start = 4;
    } else if (length === 127) {
      if (rest.length < 10) break;
      length = Number(rest.readBigUInt64BE(2));
      start = 10;
    }
    if (rest.length < start + length) break;
    frames.push(decodeFrame(rest));
    rest = rest.subarray(start + length);
  }
  return { head: data.subarray(0, end).toString('latin1'), frames };
}
