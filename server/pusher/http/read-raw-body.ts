import type { IncomingMessage } from 'node:http';
import { PusherHttpError } from './pusher-http-error.js';

/**
 * The body's bytes, at most `limit` of them: the declared Content-Length is
 * checked before reading, the bytes are counted as they come (a chunked
 * upload declares nothing), and past the limit reading stops with
 * PUSHER_TOO_LARGE. The raw bytes are kept because body_md5 is over them.
 * Resolves null when the client went away before the body was complete.
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      reject(tooLarge(limit, `it declares ${declared} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    function rawOnData(chunk: Buffer): void {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit, `it passed ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    }
    function rawOnEnd(): void {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    }
    function rawOnClose(): void {
      cleanup();
      resolve(null);
    }
    function cleanup(): void {
      req.off('data', rawOnData);
      req.off('end', rawOnEnd);
      req.off('close', rawOnClose);
    }
    req.on('data', rawOnData);
    req.on('end', rawOnEnd);
    req.on('close', rawOnClose);
  });
}

function tooLarge(limit: number, detail: string): PusherHttpError {
  return new PusherHttpError('PUSHER_TOO_LARGE', `the body may be at most ${limit} bytes; ${detail}`);
}
