import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { CLIENT_TYPE_BACKEND, SUBPROTOCOL_V2, ServerOpcode } from '../include/protocol.js';
import { ClientError, ClientErrorCode, connectError } from './client-error.js';
import type { ReceivedPacket } from './packets.js';
import { decodePacket } from './packets.js';

/** Which protocol to speak: v2 when the relay offers it ('auto'), or one of them only. */
export type ProtocolChoice = 'auto' | 'v1' | 'v2';

/** TLS options for wss:// and ssl:// addresses. */
export interface TlsOptions {
  /** PEM certificate(s) to trust, e.g. a self-signed relay certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Verify the relay's certificate (default true). Set false only to accept
   * a self-signed certificate you cannot pass as `ca`.
   */
  rejectUnauthorized?: boolean;
  /** Name to verify the certificate against, when it differs from the host. */
  servername?: string;
}

export interface SocketOptions {
  /** Sent as the `Ident` header: the name other scripts address us by. */
  ident: string | undefined;
  /** Sent as `Client-Type`; null sends none (the relay then treats us as a browser). */
  clientType: string | null;
  headers: Record<string, string>;
  tls: TlsOptions;
  protocol: ProtocolChoice;
  connectTimeoutMs: number;
  /** Largest frame we accept from the relay. */
  maxPayload: number;
}

export const defaultSocketOptions: Readonly<SocketOptions> = Object.freeze({
  ident: undefined,
  clientType: CLIENT_TYPE_BACKEND,
  headers: {},
  tls: {},
  protocol: 'auto',
  connectTimeoutMs: 10_000,
  maxPayload: 64 * 1024 * 1024,
});

/** How the connection ended, as the owner of a RelaySocket learns it. */
export interface SocketClosed {
  code: number;
  /** The close frame's reason, or the `error` of a `{"opcode":"close"}` packet sent just before. */
  reason: string;
  /** A socket error seen before the close, if any. */
  error: Error | undefined;
}

export interface SocketHandlers {
  packet(packet: ReceivedPacket): void;
  closed(info: SocketClosed): void;
}

// The ws client's wording when we offered a subprotocol and the relay chose none (a v1-only relay).
const NO_SUBPROTOCOL = 'Server sent no subprotocol';

/** Internal: the relay does not speak v2; 'auto' then retries as v1. */
class NoSubprotocolError extends Error {}

/**
 * One open, ready connection to the relay: the WebSocket after the handshake
 * and after `{"opcode":"ready"}`, with the uuid it gave us. Packets that
 * arrive before an owner attaches are kept, not lost.
 */
export class RelaySocket {
  readonly uuid: string;
  /** v2 pages: the secret `ready` gave to resume this session (never sent anywhere but in `resume`). */
  readonly resumeToken: string | null;
  /** 2 when the relay selected the websock.v2 subprotocol. */
  readonly version: 1 | 2;
  /** v2 pages: the epoch of the page's sequence numbers, from `ready` (null when the relay sent none). */
  readonly epoch: string | null;
  readonly #ws: WebSocket;
  #early: ReceivedPacket[] | null = [];
  #handlers: SocketHandlers | null = null;
  #closeReason = '';
  #error: Error | undefined;
  #closed: SocketClosed | null = null;

  private constructor(ws: WebSocket, uuid: string, epoch: string | null, resumeToken: string | null) {
    this.#ws = ws;
    this.uuid = uuid;
    this.epoch = epoch;
    this.resumeToken = resumeToken;
    this.version = ws.protocol === SUBPROTOCOL_V2 ? 2 : 1;
    ws.on('message', this.#onMessage);
    ws.on('error', this.#onError);
    ws.on('close', this.#onClose);
  }

  /**
   * Connect to a ws:// or wss:// URL and wait for `ready`. With protocol
   * 'auto', a relay that does not select websock.v2 is reconnected to as v1
   * (the ws client refuses a handshake that ignores an offered subprotocol).
   */
  static async open(url: string, options: SocketOptions): Promise<RelaySocket> {
    const deadline = Date.now() + options.connectTimeoutMs;
    if (options.protocol === 'v1') return handshake(url, [], options, deadline);
    try {
      return await handshake(url, [SUBPROTOCOL_V2], options, deadline);
    } catch (error) {
      if (!(error instanceof NoSubprotocolError)) throw error;
      if (options.protocol === 'v2') {
        throw new ClientError(ClientErrorCode.HandshakeRefused, `${url} does not offer protocol v2 (subprotocol ${SUBPROTOCOL_V2})`, {
          reason: 'no v2',
        });
      }
      return handshake(url, [], options, deadline);
    }
  }

  /** Internal: built by the handshake once `ready` arrived. */
  static fromReady(ws: WebSocket, uuid: string, epoch: string | null = null, resumeToken: string | null = null): RelaySocket {
    return new RelaySocket(ws, uuid, epoch, resumeToken);
  }

  /** Start delivering packets (first those that came before), and the close. */
  attach(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    const early = this.#early ?? [];
    this.#early = null;
    for (const packet of early) handlers.packet(packet);
    if (this.#closed) handlers.closed(this.#closed);
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued in the socket, not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Write one text frame; `done` runs once it was handed to the OS, or with the error. */
  send(text: string, done?: (error?: Error) => void): void {
    this.#ws.send(text, done);
  }

  /**
   * Close politely (a close frame with an empty payload, as the original
   * clients do) and wait for the relay's answer; cut the socket if it does
   * not answer within `graceMs`.
   */
  async close(graceMs = 2_000): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) => this.#ws.once('close', () => resolve()));
    const timer = setTimeout(() => this.#ws.terminate(), graceMs);
    try {
      this.#ws.close();
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cut the connection at once (no close handshake). */
  terminate(): void {
    this.#ws.terminate();
  }

  readonly #onMessage = (data: RawData, isBinary: boolean): void => {
    const text = rawToString(data);
    const packet = decodePacket(text);
    if (!isBinary && packet.opcode === ServerOpcode.Close && typeof packet.error === 'string') {
      // The relay says why before it closes; keep it for the close.
      this.#closeReason = packet.error;
    }
    if (this.#early) this.#early.push(packet);
    else this.#handlers?.packet(packet);
  };

  readonly #onError = (error: Error): void => {
    this.#error = error;
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    this.#closed = { code, reason: this.#closeReason || reason.toString(), error: this.#error };
    this.#handlers?.closed(this.#closed);
  };
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** One handshake attempt with the given subprotocol offer. */
function handshake(url: string, protocols: string[], options: SocketOptions, deadline: number): Promise<RelaySocket> {
  const remaining = Math.max(1, deadline - Date.now());
  const headers: Record<string, string> = { ...options.headers };
  if (options.clientType !== null) headers['Client-Type'] = options.clientType;
  if (options.ident) headers['Ident'] = options.ident;
  // ws hands TLS options through to tls.connect; its types omit servername.
  const wsOptions: WebSocket.ClientOptions & { servername?: string } = {
    headers,
    perMessageDeflate: false,
    followRedirects: false,
    handshakeTimeout: remaining,
    maxPayload: options.maxPayload,
    ca: options.tls.ca,
    rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
    servername: options.tls.servername,
  };
  const ws = new WebSocket(url, protocols, wsOptions);
  return new Handshake(url, ws, remaining).result;
}

/** Watches one WebSocket until `ready` (success) or any failure; exactly one outcome. */
class Handshake {
  readonly result: Promise<RelaySocket>;
  readonly #url: string;
  readonly #ws: WebSocket;
  readonly #timer: NodeJS.Timeout;
  #resolve!: (socket: RelaySocket) => void;
  #reject!: (error: Error) => void;
  #settled = false;
  #refusal = '';
  #error: Error | undefined;

  constructor(url: string, ws: WebSocket, timeoutMs: number) {
    this.#url = url;
    this.#ws = ws;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    ws.on('unexpected-response', this.#onUnexpectedResponse);
    ws.on('error', this.#onError);
    ws.on('message', this.#onMessage);
    ws.on('close', this.#onClose);
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#detach();
    // Keep swallowing late errors of the abandoned socket so they cannot crash the process.
    this.#ws.on('error', ignoreError);
    this.#ws.terminate();
    this.#reject(error);
  }

  #detach(): void {
    this.#ws.off('unexpected-response', this.#onUnexpectedResponse);
    this.#ws.off('error', this.#onError);
    this.#ws.off('message', this.#onMessage);
    this.#ws.off('close', this.#onClose);
  }

  readonly #onTimeout = (): void => {
    this.#fail(new ClientError(ClientErrorCode.ConnectFailed, `cannot connect to ${this.#url}: no ready from the relay in time`));
  };

  readonly #onUnexpectedResponse = (req: ClientRequest, res: IncomingMessage): void => {
    // A plain HTTP answer instead of 101: read a little of the body, it usually says why.
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < 2048) body += chunk;
    });
    const finish = (): void => {
      const reason = reasonFromBody(body) || res.statusMessage || '';
      this.#fail(
        new ClientError(
          ClientErrorCode.HandshakeRefused,
          `${this.#url} refused the connection: HTTP ${res.statusCode}${reason ? ` ${reason}` : ''}`,
          {
            reason,
          },
        ),
      );
      req.destroy();
    };
    res.on('end', finish);
    res.on('error', finish);
  };

  readonly #onError = (error: Error): void => {
    if (error.message === NO_SUBPROTOCOL) {
      this.#fail(new NoSubprotocolError(error.message));
      return;
    }
    this.#error = error;
    // Before 'open' an error is fatal and no close frame will follow.
    if (this.#ws.readyState !== WebSocket.OPEN) this.#fail(connectError(this.#url, error));
  };

  readonly #onMessage = (data: RawData): void => {
    const packet = decodePacket(rawToString(data));
    if (packet.opcode === ServerOpcode.Ready && typeof packet.uuid === 'string') {
      this.#settled = true;
      clearTimeout(this.#timer);
      this.#detach();
      this.#resolve(
        RelaySocket.fromReady(
          this.#ws,
          packet.uuid,
          typeof packet.epoch === 'string' ? packet.epoch : null,
          typeof packet.resumeToken === 'string' ? packet.resumeToken : null,
        ),
      );
      return;
    }
    if (packet.opcode === ServerOpcode.Close) {
      this.#refusal =
        typeof packet.error === 'string' && packet.error ? packet.error : 'the relay has no such resource, or does not accept this client';
    }
  };

  readonly #onClose = (code: number, reason: Buffer): void => {
    const why = this.#refusal || reason.toString() || this.#error?.message || `closed with code ${code} before ready`;
    this.#fail(
      new ClientError(ClientErrorCode.HandshakeRefused, `${this.#url} refused the connection: ${why}`, { reason: why, closeCode: code }),
    );
  };
}

function ignoreError(): void {}

function reasonFromBody(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const value = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof value.error === 'string') return value.error;
    if (typeof value.message === 'string') return value.message;
  } catch {
    // Not JSON: use the text itself.
  }
  return text.slice(0, 200);
}
