import type { IncomingMessage, ServerResponse } from 'node:http';

export interface DiscardLimits {
  /** Bytes of the unwanted body read and thrown away while the connection may still be reused. */
  maxBytes: number;
  /** Time spent so before giving the connection up. */
  maxMs: number;
  /** After giving it up: how long the answer is left for the client to read before the socket is cut. */
  lingerMs: number;
}

export const DEFAULT_DISCARD_LIMITS: DiscardLimits = { maxBytes: 1024 * 1024, maxMs: 2_000, lingerMs: 5_000 };

/**
 * After answering a request before its body was read (refused, too large),
 * read and throw away the rest. A short body ends normally and the
 * connection stays usable. Past `maxBytes` or `maxMs` the connection is
 * given up: once the answer is written the relay half-closes (the client
 * reads the answer, then end of stream) and keeps discarding until the
 * client closes, for at most `lingerMs`, then cuts the socket. Closing at
 * once would make the kernel reset the connection over the unread upload,
 * and a reset destroys the answer before a client that writes its whole
 * body before reading (PHP's fwrite then fread, curl) ever sees it.
 */
export function discardRest(req: IncomingMessage, res: ServerResponse, limits: DiscardLimits = DEFAULT_DISCARD_LIMITS): void {
  if (req.complete || req.destroyed) return;
  const socket = req.socket;
  let seen = 0;
  let givenUp = false;
  let timer = setTimeout(giveUp, limits.maxMs);
  timer.unref();
  function discardOnData(chunk: Buffer): void {
    seen += chunk.length;
    if (seen > limits.maxBytes) giveUp();
  }
  function stop(): void {
    // Once given up, the linger timer owns the socket until it closes.
    if (!givenUp) clearTimeout(timer);
    req.off('data', discardOnData);
    req.off('end', stop);
    req.off('close', stop);
  }
  function giveUp(): void {
    if (givenUp) return;
    givenUp = true;
    clearTimeout(timer);
    req.off('data', discardOnData);
    const halfClose = (): void => {
      socket.end();
      timer = setTimeout(() => socket.destroy(), limits.lingerMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    };
    if (res.writableFinished) halfClose();
    else res.once('finish', halfClose);
  }
  req.on('data', discardOnData);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}
