/**
 * A page's WebSocket as an RFC 8441 Extended CONNECT stream on a shared
 * HTTP/2 connection (h2c with prior knowledge), for the h1-vs-h2 scenario.
 * `ws` has no client API for it, so frames are read and written here:
 * the relay's frames arrive unmasked, ours go out masked. It looks like the
 * part of a `ws` WebSocket the pages use: 'message' (text, as a Buffer),
 * 'error', 'close' (code), send(text) and terminate().
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;

/** One h2c connection to the relay, opened once its SETTINGS (with ENABLE_CONNECT_PROTOCOL) arrived. */
export async function openH2Session(url: string, timeoutMs: number): Promise<ClientHttp2Session> {
  const { host } = new URL(url);
  const session = connect(`http://${host}`);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no HTTP/2 SETTINGS from ${host} within ${timeoutMs} ms`)), timeoutMs);
    session.once('remoteSettings', (settings) => {
      clearTimeout(timer);
      if (settings.enableConnectProtocol !== true) reject(new Error('the relay does not offer Extended CONNECT (http2 off?)'));
      else resolve();
    });
    session.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return session;
}

/** A masked client frame (FIN set). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
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
  for (let i = 0; i < length; i++) frame[headerLength + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

export class H2PageSocket extends EventEmitter {
  readonly #stream: ClientHttp2Stream;
  #pending: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #closed = false;

  constructor(session: ClientHttp2Session, url: string, subprotocol?: string) {
    super();
    const { pathname, search } = new URL(url);
    const headers: Record<string, string> = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': `${pathname}${search}`,
      'sec-websocket-version': '13',
    };
    if (subprotocol) headers['sec-websocket-protocol'] = subprotocol;
    this.#stream = session.request(headers, { endStream: false });
    this.#stream.on('response', (answer) => {
      const status = Number(answer[':status']);
      if (status !== 200) this.#fail(new Error(`Extended CONNECT answered ${status}`));
    });
    this.#stream.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#stream.on('error', (error: Error) => this.#fail(error));
    this.#stream.on('close', () => this.#onClose(1006));
  }

  send(text: string): void {
    this.#stream.write(maskedFrame(OPCODE_TEXT, Buffer.from(text)));
  }

  terminate(): void {
    this.#closed = true;
    this.#stream.destroy();
  }

  #onData(chunk: Buffer): void {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    for (;;) {
      if (data.length < 2) break;
      let length = data[1]! & 0x7f;
      let start = 2;
      if (length === 126) {
        if (data.length < 4) break;
        length = data.readUInt16BE(2);
        start = 4;
      } else if (length === 127) {
        if (data.length < 10) break;
        length = Number(data.readBigUInt64BE(2));
        start = 10;
      }
      if (data.length < start + length) break;
      this.#onFrame(data[0]!, data.subarray(start, start + length));
      data = data.subarray(start + length);
    }
    this.#pending = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
  }

  #onFrame(head: number, payload: Buffer): void {
    const fin = (head & 0x80) !== 0;
    const opcode = head & 0x0f;
    switch (opcode) {
      case OPCODE_TEXT:
      case OPCODE_BINARY:
      case OPCODE_CONTINUATION:
        this.#fragments.push(payload);
        if (!fin) return;
        this.emit('message', this.#fragments.length === 1 ? this.#fragments[0] : Buffer.concat(this.#fragments));
        this.#fragments = [];
        return;
      case OPCODE_PING:
        this.#stream.write(maskedFrame(0xa, Buffer.from(payload)));
        return;
      case OPCODE_CLOSE:
        this.#onClose(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
        return;
    }
  }

  #onClose(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close', code);
    this.#stream.destroy();
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.emit('error', error);
  }
}
