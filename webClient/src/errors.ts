import type { ErrorCode } from '../../include/protocol.js';

/** Failures the client itself detects. */
export type ClientErrorCode =
  /** The connection dropped before the relay confirmed the message. */
  | 'DISCONNECTED'
  /** close() was called; nothing more is sent. */
  | 'CLOSED'
  /** The relay did not answer a v2 request in time. */
  | 'TIMEOUT'
  /** The relay sent {"opcode":"close","error":...} before closing. */
  | 'REFUSED';

/**
 * Every error the client reports or rejects a promise with. `code` is either
 * one of ClientErrorCode or, for errors the relay sent, its ErrorCode.
 */
export class WebsockError extends Error {
  override readonly name = 'WebsockError';
  constructor(
    readonly code: ClientErrorCode | ErrorCode,
    message: string,
    /** The request id this error answers, when it answers one. */
    readonly id?: string | number,
  ) {
    super(message);
  }
}
