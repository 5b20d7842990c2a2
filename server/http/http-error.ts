import type { ServerResponse } from 'node:http';
import { sendJson } from './http-router.js';

/**
 * Stable codes of the HTTP API's error answers, with their status and a
 * default sentence. Where a WebSocket error code (include/protocol.ts) means
 * the same thing, the same name is used. docs/http-api.md lists them all.
 */
export const HttpErrorCodes = {
  BAD_JSON: { status: 400, text: 'the body is not valid JSON' },
  BAD_PACKET: { status: 400, text: 'a field of the message is missing or has the wrong type' },
  UNAUTHORIZED: { status: 401, text: 'publishing needs the header "Authorization: Bearer <publishSecret>"' },
  FORBIDDEN: { status: 403, text: 'not allowed to publish' },
  UNKNOWN_RECIPIENT: { status: 404, text: 'no client has this uuid or ident' },
  UNKNOWN_JOB: { status: 404, text: 'the page has no such job (GET /signals)' },
  TOO_LARGE: { status: 413, text: 'the body exceeds the maximum message size' },
  TOO_MANY_ITEMS: { status: 413, text: 'the batch has too many messages' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    text: 'a multipart form is not read: send the JSON object itself as the body (curl -d or --json, not -F)',
  },
  RATE_LIMITED: { status: 429, text: 'too many publish requests; slow down' },
  RECIPIENT_SLOW: { status: 503, text: 'the recipient is not reading; the message was dropped' },
  SHUTTING_DOWN: { status: 503, text: 'the relay is shutting down' },
  ENGINE_FAILED: {
    status: 503,
    text: 'the relay could not tell whether the message arrived (its engine is unreachable); publish it again',
  },
} as const satisfies Record<string, { status: number; text: string }>;
export type HttpErrorCode = keyof typeof HttpErrorCodes;

/** The JSON body of every error answer (and of an invalid batch item). */
export interface ErrorBody {
  error: string;
  code: HttpErrorCode;
}

/** A request the API refuses: the status, code and sentence of the answer. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(code: HttpErrorCode, detail?: string, headers: Record<string, string> = {}) {
    super(detail ?? HttpErrorCodes[code].text);
    this.code = code;
    this.status = HttpErrorCodes[code].status;
    this.headers = headers;
  }

  get body(): ErrorBody {
    return { error: this.message, code: this.code };
  }
}

/** Answer with an error, unless the client is already gone. */
export function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent || res.destroyed) return;
  sendJson(res, error.status, error.body, error.headers);
}
