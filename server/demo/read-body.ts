import type { IncomingMessage } from 'node:http';

/** The body was larger than allowed; answer 413. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly code = 'BODY_TOO_LARGE';
}

/** The body did not arrive in time; answer 408. */
export class BodyTimeoutError extends Error {
  override readonly name = 'BodyTimeoutError';
  readonly code = 'BODY_TIMEOUT';
}

/**
 * Reads a request body of at most `limit` bytes within `deadlineMs`. Stops
 * reading (and rejects) as soon as the limit is passed, so a huge upload
 * costs nothing, and a body trickling in is given up at the deadline, so a
 * small endpoint is not held for the server's 30 s request timeout.
 */
export function readBody(req: IncomingMessage, limit: number, deadlineMs = 5_000): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(`the body may be at most ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.off('data', onData);
      reject(new BodyTimeoutError(`the body did not arrive within ${deadlineMs} ms`));
    }, deadlineMs);
    timer.unref();
    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > limit) {
        clearTimeout(timer);
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLargeError(`the body may be at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    }
    req.on('data', onData);
    req.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('close', () => clearTimeout(timer));
  });
}
