import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** The client went away before its body was complete: nobody to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  readonly code = 'CLIENT_GONE';
}

/**
 * Read and parse a JSON request body of at most `limit` bytes. The declared
 * Content-Length is checked before a byte is read, and the bytes are counted
 * as they stream in (chunked uploads declare nothing); past the limit it
 * stops reading at once. Throws HttpError (TOO_LARGE, BAD_JSON) or
 * ClientGoneError, never anything else.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit, `it declares ${declared} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    function finish(): void {
      req.off('data', bodyOnData);
      req.off('end', bodyOnEnd);
      req.off('error', bodyOnError);
      req.off('close', bodyOnClose);
    }
    function bodyOnData(chunk: Buffer): void {
      size += chunk.length;
      if (size > limit) {
        finish();
        req.pause();
        reject(tooLarge(limit, `it passed ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    }
    function bodyOnEnd(): void {
      finish();
      try {
        resolve(parse(Buffer.concat(chunks, size)));
      } catch (error) {
        reject(error as HttpError);
      }
    }
    function bodyOnError(): void {
      finish();
      reject(new ClientGoneError('the client aborted the request'));
    }
    function bodyOnClose(): void {
      // 'close' before 'end': the connection dropped mid-body.
      finish();
      reject(new ClientGoneError('the connection closed before the body was complete'));
    }
    req.on('data', bodyOnData);
    req.on('end', bodyOnEnd);
    req.on('error', bodyOnError);
    req.on('close', bodyOnClose);
  });
}

function tooLarge(limit: number, detail: string): HttpError {
  return new HttpError('TOO_LARGE', `the body may be at most ${limit} bytes (maxMessageSize); ${detail}`);
}

function parse(body: Buffer): unknown {
  // A byte-order mark is legal in front of JSON text but JSON.parse refuses it.
  const text = body.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new HttpError('BAD_JSON', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError('BAD_JSON', `the body is not valid JSON (${(error as Error).message})`);
  }
}
