/**
 * The original PHP client reads the `101` answer with `fread($socket, 1024)`
 * and `ready` with a second read. PHP buffers socket reads, so if the
 * answer is exactly 1024 bytes long, the first read ends where `ready`
 * begins, however the bytes were split into segments. Padding the answer
 * with a harmless header makes that hold for every backend, instead of
 * hoping that a short delay keeps the two apart.
 */
export const PHP_HANDSHAKE_READ = 1024;
const PAD_HEADER = 'X-Pad: ';

/** Add a padding header so the answer (status line, headers, blank line) is exactly 1024 bytes. */
export function padHandshakeHeaders(headers: string[]): void {
  const length = headers.reduce((sum, line) => sum + Buffer.byteLength(line) + 2, 0) + 2;
  const pad = PHP_HANDSHAKE_READ - length - (PAD_HEADER.length + 2);
  if (pad >= 0) headers.push(PAD_HEADER + 'x'.repeat(pad));
}

/**
 * The same client reads `ready` with a second `fread($socket, 1024)`. When
 * `ready` arrived together with the 101, it already sits in PHP's buffer,
 * and a buffered read that is short of its length waits for more data —
 * two seconds, the client's timeout, in 5 % of fresh connections here. A
 * `ready` frame of exactly 1024 bytes (JSON allows the trailing spaces)
 * satisfies that read at once, however the bytes arrived.
 */
export function padReadyForPhp(readyJson: string): string {
  // Also used for the close packet a refused backend gets where it expects `ready`.
  // A payload of 126..65535 bytes has a 4-byte frame header.
  const payload = PHP_HANDSHAKE_READ - 4;
  return readyJson.length >= payload ? readyJson : readyJson + ' '.repeat(payload - Buffer.byteLength(readyJson));
}
