import type { Duplex } from 'node:stream';

/** How long a refused socket is left to read its answer before it is cut. */
const LINGER_MS = 1_000;

/**
 * Answer a socket Node's HTTP server no longer writes for (an upgrade
 * request, a connection refused before its request) with a JSON error, and
 * let it go: nothing more is read, the write side is ended at once and the
 * socket is cut after a second even if the client never closes.
 */
export function answerAndClose(socket: Duplex, status: string, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const lines = [`HTTP/1.1 ${status}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.pause();
  socket.on('error', function refusedSocketOnError() {});
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
