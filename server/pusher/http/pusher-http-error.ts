/**
 * Stable codes of the Pusher HTTP API's refusals, with the status Pusher
 * itself answers (its SDKs and Laravel's broadcaster report the status, so
 * it must be the one they expect) and a default sentence. docs/pusher.md
 * lists them.
 */
export const PusherHttpErrorCodes = {
  /** A malformed request: bad JSON, a missing or mistyped field, a bad name. */
  PUSHER_BAD_REQUEST: { status: 400, text: 'the request is malformed' },
  /** auth_key, auth_signature, auth_version or body_md5 missing or wrong. */
  PUSHER_AUTH_FAILED: { status: 401, text: 'the request is not signed with the app’s key and secret' },
  /** auth_timestamp more than 600 s from the relay's clock. */
  PUSHER_TIMESTAMP_EXPIRED: { status: 401, text: 'auth_timestamp is not within 600 s of the server’s time' },
  /** No app has this id. */
  PUSHER_UNKNOWN_APP: { status: 404, text: 'no app has this id' },
  /** No such endpoint under /apps/{id}/. */
  PUSHER_NOT_FOUND: { status: 404, text: 'no such endpoint' },
  /** The method is not the endpoint's. */
  PUSHER_METHOD_NOT_ALLOWED: { status: 405, text: 'the method is not allowed on this endpoint' },
  /** The body, an event's data, or a batch is over the app's limits. */
  PUSHER_TOO_LARGE: { status: 413, text: 'the request is over the app’s limits' },
  /** The relay is stopping or its engine cannot answer. */
  PUSHER_UNAVAILABLE: { status: 503, text: 'the relay cannot serve the request now; retry' },
} as const satisfies Record<string, { status: number; text: string }>;
export type PusherHttpErrorCode = keyof typeof PusherHttpErrorCodes;

/** A refused Pusher API request: status, stable code and the sentence answered. */
export class PusherHttpError extends Error {
  override readonly name = 'PusherHttpError';
  readonly code: PusherHttpErrorCode;
  readonly status: number;

  constructor(code: PusherHttpErrorCode, detail?: string) {
    super(detail ?? PusherHttpErrorCodes[code].text);
    this.code = code;
    this.status = PusherHttpErrorCodes[code].status;
  }

  /** Pusher answers errors as text; the code is added so that scripts can switch on it. */
  get body(): { error: string; code: PusherHttpErrorCode } {
    return { error: this.message, code: this.code };
  }
}
