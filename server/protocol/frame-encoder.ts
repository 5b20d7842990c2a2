/**
 * Encodes unmasked RFC 6455 text frames (server to client): a broadcast frame
 * built once and written as the same bytes to every page, and the frame of
 * a single message, written to the socket in one write.
 */
const SINGLE_BUFFER_MAX = 16 * 1024;

function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65_536 ? 4 : 10;
}

/** Write the header of a final text frame of `length` payload bytes at the start of `target`. */
function writeHeader(target: Buffer, length: number): void {
  target[0] = 0x81; // FIN + text
  if (length < 126) {
    target[1] = length;
  } else if (length < 65_536) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
  } else {
    target[1] = 127;
    target.writeBigUInt64BE(BigInt(length), 2);
  }
}

/**
 * The whole frame of a text message in one buffer: one allocation and one
 * copy of the text (what ws's send costs too), then a single socket write
 * where ws corks and writes header and payload apart.
 */
export function encodeServerTextFrameFromText(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const offset = headerLength(length);
  const frame = Buffer.allocUnsafe(offset + length);
  writeHeader(frame, length);
  frame.write(text, offset, 'utf8');
  return frame;
}

export function encodeServerTextFrame(payload: Buffer): Buffer[] {
  const length = payload.length;
  const header = Buffer.allocUnsafe(headerLength(length));
  writeHeader(header, length);
  // Small frames in one buffer: one socket write per recipient instead of two.
  return length <= SINGLE_BUFFER_MAX ? [Buffer.concat([header, payload])] : [header, payload];
}

/** A frame encoded once, written as the same bytes to many connections. */
export type EncodedFrame = readonly Buffer[];

/** Encode a text frame once so a broadcast writes the same bytes to every page. */
export function encodeTextFrame(text: string | Buffer): EncodedFrame {
  return encodeServerTextFrame(typeof text === 'string' ? Buffer.from(text) : text);
}
