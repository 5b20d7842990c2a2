import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * Called at most once: with the parsed body and the text it was parsed from
 * (decoded, without a byte-order mark), or with why it was refused.
 */
export type BodyCallback = (error: HttpError | null, body?: unknown, text?: string) => void;

/**
 * Read and parse a JSON request body of at most `limit` bytes, then call
 * `done`. The declared Content-Length is checked before a byte is read, and
 * the bytes are counted as they stream in (chunked uploads declare nothing);
 * past the limit it stops reading at once. The error is an HttpError
 * (TOO_LARGE, BAD_JSON). A client that goes away before its body is complete
 * gets no call at all: there is nobody to answer, and the closure goes with
 * the request.
 *
 * A callback rather than a Promise, two listeners, and no list for the
 * usual one-chunk body: this runs once per HTTP publish, where each layer of
 * promises, listeners and copies showed in the profile against the
 * reference relay.
 */
export function readJsonBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    done(tooLarge(limit, `it declares ${declared} bytes`));
    return;
  }
  let first: Buffer | null = null;
  let rest: Buffer[] | null = null;
  let size = 0;
  function bodyOnData(chunk: Buffer): void {
    size += chunk.length;
    if (size > limit) {
      req.off('data', bodyOnData);
      req.off('end', bodyOnEnd);
      req.pause();
      done(tooLarge(limit, `it passed ${limit} bytes`));
      return;
    }
    if (first === null) first = chunk;
    else (rest ??= [first]).push(chunk);
  }
  function bodyOnEnd(): void {
    const text = bodyText(rest !== null ? Buffer.concat(rest, size) : first);
    let value: unknown;
    try {
      value = parseJsonText(text);
    } catch (error) {
      done(error as HttpError);
      return;
    }
    done(null, value, text);
  }
  req.on('data', bodyOnData);
  req.on('end', bodyOnEnd);
}

function tooLarge(limit: number, detail: string): HttpError {
  return new HttpError('TOO_LARGE', `the body may be at most ${limit} bytes (maxMessageSize); ${detail}`);
}

const BYTE_ORDER_MARK = 0xfeff;

/** A body's bytes as text: UTF-8 (a bad sequence reads as U+FFFD), without a leading byte-order mark. */
export function bodyText(body: Buffer | null): string {
  const text = body === null ? '' : body.toString('utf8');
  // A byte-order mark is legal in front of JSON text but JSON.parse refuses it.
  return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
}

/** The JSON value of a body's text; a BAD_JSON HttpError that says why not. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Only a failed parse pays for finding out why.
    if (text.trim() === '') throw new HttpError('BAD_JSON', 'the body is empty; send a JSON object');
    throw new HttpError('BAD_JSON', `the body is not valid JSON (${(error as Error).message})`);
  }
}
