import type { IncomingMessage, ServerResponse } from 'node:http';

export interface DiscardLimits {
  /** Most bytes of the unwanted body read and thrown away. */
  maxBytes: number;
  /** Most time spent doing so. */
  maxMs: number;
}

export const DEFAULT_DISCARD_LIMITS: DiscardLimits = { maxBytes: 1024 * 1024, maxMs: 2_000 };

/**
 * After answering a request before its body was read (refused, too large),
 * read and throw away the rest for a little while. Closing at once would
 * reset the connection under a client that is still sending, and a reset
 * makes it lose the answer; most clients stop sending when the answer comes.
 * A short body ends normally and the connection stays usable; past either
 * limit the connection is dropped, so an endless upload costs little.
 */
export function discardRest(req: IncomingMessage, res: ServerResponse, limits: DiscardLimits = DEFAULT_DISCARD_LIMITS): void {
  if (req.complete || req.destroyed) return;
  let seen = 0;
  const timer = setTimeout(drop, limits.maxMs);
  timer.unref();
  function discardOnData(chunk: Buffer): void {
    seen += chunk.length;
    if (seen > limits.maxBytes) drop();
  }
  function stop(): void {
    clearTimeout(timer);
    req.off('data', discardOnData);
    req.off('end', stop);
    req.off('close', stop);
  }
  function drop(): void {
    stop();
    req.pause();
    // Let the answer reach the kernel before the connection goes.
    if (res.writableFinished) req.socket.destroy();
    else res.once('finish', () => req.socket.destroy());
  }
  req.on('data', discardOnData);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}
