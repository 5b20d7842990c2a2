/**
 * Encodes an unmasked RFC 6455 text frame (server to client). Used to build a
 * broadcast frame once and write the same bytes to every page.
 */
const SINGLE_BUFFER_MAX = 16 * 1024;

export function encodeServerTextFrame(payload: Buffer): Buffer[] {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.allocUnsafe(2);
    header[1] = length;
  } else if (length < 65_536) {
    header = Buffer.allocUnsafe(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.allocUnsafe(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = 0x81; // FIN + text
  // Small frames in one buffer: one socket write per recipient instead of two.
  return length <= SINGLE_BUFFER_MAX ? [Buffer.concat([header, payload])] : [header, payload];
}

/** A frame encoded once, written as the same bytes to many connections. */
export type EncodedFrame = readonly Buffer[];

/** Encode a text frame once so a broadcast writes the same bytes to every page. */
export function encodeTextFrame(text: string | Buffer): EncodedFrame {
  return encodeServerTextFrame(typeof text === 'string' ? Buffer.from(text) : text);
}
