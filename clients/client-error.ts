import type { ErrorCode } from '../include/protocol.js';

/**
 * Stable codes of the errors the Node client raises. Scripts and the CLI
 * switch on these; docs/clients.md lists them with their exit codes.
 */
export const ClientErrorCode = {
  /** The address or an option is malformed; nothing was attempted. */
  BadArgument: 'BAD_ARGUMENT',
  /** No connection could be made: refused, unreachable, DNS, TLS, timeout. */
  ConnectFailed: 'CONNECT_FAILED',
  /** The relay answered but would not take us (no such resource, not allowed, full). */
  HandshakeRefused: 'HANDSHAKE_REFUSED',
  /** The client was closed by its owner; the call cannot run. */
  Closed: 'CLOSED',
  /** The connection went away while the call was pending. */
  ConnectionLost: 'CONNECTION_LOST',
  /** The message exceeds the size the relay accepts. */
  TooLarge: 'TOO_LARGE',
  /** The relay did not acknowledge in time. */
  Timeout: 'TIMEOUT',
  /** A protocol v2 relay answered the request with an error packet (see relayCode). */
  RelayError: 'RELAY_ERROR',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export interface ClientErrorDetails {
  cause?: unknown;
  /** For RELAY_ERROR: the relay's error code. */
  relayCode?: ErrorCode | string;
  /** The RFC 6455 close code, when the error comes from a close. */
  closeCode?: number;
  /** The reason the relay gave, when it gave one. */
  reason?: string;
}

/** Every failure of the Node client is one of these, with a stable `code`. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly relayCode: ErrorCode | string | undefined;
  readonly closeCode: number | undefined;
  readonly reason: string | undefined;

  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.relayCode = details.relayCode;
    this.closeCode = details.closeCode;
    this.reason = details.reason;
  }
}

/** Is this a ClientError, optionally with the given code? */
export function isClientError(value: unknown, code?: ClientErrorCode): value is ClientError {
  return value instanceof ClientError && (code === undefined || value.code === code);
}

// Node error codes that mean "the certificate was not trusted".
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The hint added to an untrusted-certificate failure, in the library's terms (the CLI says it in its flags). */
export const TLS_TRUST_HINT = ' (for a self-signed certificate pass its PEM as tls.ca, or allow it with tls.rejectUnauthorized: false)';

/** Did connecting fail because the relay's certificate was not trusted? */
export function isTlsTrustFailure(error: unknown): boolean {
  const errno = ((error as { cause?: { code?: unknown } } | null)?.cause as { code?: unknown } | undefined)?.code;
  return isClientError(error, ClientErrorCode.ConnectFailed) && typeof errno === 'string' && TLS_TRUST_CODES.has(errno);
}

/** Turn a socket-level failure while connecting into a CONNECT_FAILED error that says why. */
export function connectError(url: string, cause: unknown): ClientError {
  const errno = (cause as { code?: unknown } | null)?.code;
  const detail = cause instanceof Error ? cause.message : String(cause);
  let message = `cannot connect to ${url}: ${detail}`;
  if (typeof errno === 'string' && TLS_TRUST_CODES.has(errno)) {
    message += TLS_TRUST_HINT;
  } else if (errno === 'ECONNRESET' && /^(ws|tcp):/i.test(url)) {
    // A TLS server drops a plain-text request without a word (Node's, OpenSSL's): that is what this looks like.
    message = `cannot connect to ${url}: the relay closed the connection without answering (${detail}); this looks like a TLS relay: use wss:// (or ssl://)`;
  } else if (errno === 'ECONNREFUSED') {
    message = `cannot connect to ${url}: nothing listens there (ECONNREFUSED); is the relay running?`;
  }
  return new ClientError(ClientErrorCode.ConnectFailed, message, { cause });
}
