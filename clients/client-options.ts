import { CLIENT_TYPE_BACKEND } from '../include/protocol.js';
import type { BackoffOptions } from './backoff.js';
import { defaultBackoff, validateBackoff } from './backoff.js';
import { ClientError, ClientErrorCode } from './client-error.js';
import type { ProtocolChoice, SocketOptions, TlsOptions } from './relay-socket.js';
import { defaultSocketOptions } from './relay-socket.js';

/** Options of RelayClient.connect; every one is optional. */
export interface RelayClientOptions {
  /** Our name, sent as the `Ident` header: other scripts address us by it. */
  ident?: string;
  /** `Client-Type` header; default 'php' (a backend). null sends none and the relay treats us as a page. */
  clientType?: string | null;
  /** More handshake headers (e.g. Origin). */
  headers?: Record<string, string>;
  /** For wss:// and ssl:// addresses. */
  tls?: TlsOptions;
  /** 'auto' (default) speaks v2 when the relay offers it, else v1. */
  protocol?: ProtocolChoice;
  /**
   * Reconnect after the connection is lost (not after close()), with
   * exponential backoff and jitter; pass backoff settings to tune it.
   * Default false.
   */
  reconnect?: boolean | Partial<BackoffOptions>;
  /**
   * v2, as a page (clientType null): after a reconnect, ask for our old uuid
   * and the messages sent to it meanwhile. Default true. Backends do not
   * resume: they come back under their Ident.
   */
  resume?: boolean;
  /** How long connecting may take, handshake and `ready` included. Default 10 000. */
  connectTimeoutMs?: number;
  /** How long the relay may take to acknowledge a message (`next`, outcome). Default 30 000. */
  ackTimeoutMs?: number;
  /** v2: most messages awaiting their outcome at once; later ones wait in order. Default 1 000. */
  maxInFlight?: number;
  /** Refuse (TOO_LARGE) messages over this size before sending. Default 16 MiB, the relay's default. */
  maxMessageBytes?: number;
  /**
   * Send messages longer than this many bytes as bufferON, chunks, bufferOFF
   * (the original's chunked mode). Default null: one WebSocket message.
   */
  chunkBytes?: number | null;
}

/** The options with defaults filled in and checked. */
export interface ClientSettings {
  socket: SocketOptions;
  reconnect: BackoffOptions | null;
  resume: boolean;
  ackTimeoutMs: number;
  maxInFlight: number;
  maxMessageBytes: number;
  chunkBytes: number | null;
}

const PROTOCOLS = new Set<string>(['auto', 'v1', 'v2']);

function bad(message: string): ClientError {
  return new ClientError(ClientErrorCode.BadArgument, message);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw bad(`${name} must be a number > 0, got ${String(value)}`);
  return value;
}

/** Fill in defaults and reject bad options now, with one clear line, not on first use. */
export function resolveOptions(options: RelayClientOptions): ClientSettings {
  const protocol = options.protocol ?? 'auto';
  if (!PROTOCOLS.has(protocol)) throw bad(`protocol must be auto, v1 or v2, got ${String(protocol)}`);
  if (options.ident !== undefined && (typeof options.ident !== 'string' || /[\r\n]/.test(options.ident))) {
    throw bad('ident must be a string without line breaks');
  }
  let reconnect: BackoffOptions | null = null;
  if (options.reconnect) {
    try {
      reconnect = validateBackoff({ ...defaultBackoff, ...(options.reconnect === true ? {} : options.reconnect) });
    } catch (error) {
      throw bad((error as Error).message);
    }
  }
  const chunkBytes = options.chunkBytes ?? null;
  if (chunkBytes !== null && !(Number.isInteger(chunkBytes) && chunkBytes >= 16))
    throw bad(`chunkBytes must be an integer >= 16, got ${String(chunkBytes)}`);
  return {
    socket: {
      ...defaultSocketOptions,
      ident: options.ident || undefined,
      clientType: options.clientType === undefined ? CLIENT_TYPE_BACKEND : options.clientType,
      headers: { ...options.headers },
      tls: { ...options.tls },
      protocol,
      connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, defaultSocketOptions.connectTimeoutMs),
    },
    reconnect,
    resume: options.resume ?? true,
    ackTimeoutMs: positive('ackTimeoutMs', options.ackTimeoutMs, 30_000),
    maxInFlight: Math.ceil(positive('maxInFlight', options.maxInFlight, 1000)),
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes, 16 * 1024 * 1024),
    chunkBytes,
  };
}
