import type { Duplex } from 'node:stream';

/**
 * The original PHP client (`websocketCore::encodeForServer`) marks only the
 * first data frame of a connection as text (0x81); every later message goes
 * out as FIN + opcode 0 (0x80), a "continuation" of nothing. The original
 * server ignored the opcode, so those clients send a second message only to
 * a relay that does the same. RFC 6455 parsers (ws included) close the
 * connection with 1002 instead.
 *
 * This watches the bytes a backend sends, frame by frame, and rewrites such a
 * frame's opcode to text in place, before the WebSocket parser sees it.
 * Only an opcode-0 frame with no fragmented message open is touched: real
 * continuations and every well-formed client pass unchanged.
 */
export class PhpOpcodeFixer {
  /** Header bytes of the frame being read (a header can straddle reads). */
  #header = Buffer.alloc(14);
  #headerLength = 0;
  /** Payload bytes of the current frame still to skip. */
  #payloadLeft = 0;
  /** A data frame with FIN = 0 was seen and its final continuation was not. */
  #inFragmentedMessage = false;
  /** How many frames were rewritten (for logs and tests). */
  rewritten = 0;

  /** Inspect (and where needed mend) the next bytes from the client, in place. */
  fix(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#payloadLeft > 0) {
        const skip = Math.min(this.#payloadLeft, chunk.length - i);
        this.#payloadLeft -= skip;
        i += skip;
        continue;
      }
      if (this.#headerLength === 0) this.#mendFirstByte(chunk, i);
      this.#header[this.#headerLength++] = chunk[i++]!;
      const needed = headerSize(this.#header, this.#headerLength);
      if (needed !== null && this.#headerLength === needed) {
        this.#payloadLeft = payloadLength(this.#header);
        this.#headerLength = 0;
      }
    }
  }

  #mendFirstByte(chunk: Buffer, at: number): void {
    const byte = chunk[at]!;
    const fin = (byte & 0x80) !== 0;
    const opcode = byte & 0x0f;
    if (opcode >= 0x8) return; // control frames may come between fragments
    if (opcode === 0x0 && !this.#inFragmentedMessage) {
      chunk[at] = (byte & 0xf0) | 0x1;
      this.rewritten++;
      this.#inFragmentedMessage = !fin;
      return;
    }
    if (opcode === 0x0) {
      if (fin) this.#inFragmentedMessage = false;
      return;
    }
    this.#inFragmentedMessage = !fin;
  }
}

/** Total header size once enough of it is known, else null. */
function headerSize(header: Buffer, have: number): number | null {
  if (have < 2) return null;
  const masked = (header[1]! & 0x80) !== 0;
  const len7 = header[1]! & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  return 2 + extended + (masked ? 4 : 0);
}

function payloadLength(header: Buffer): number {
  const len7 = header[1]! & 0x7f;
  if (len7 === 126) return header.readUInt16BE(2);
  if (len7 === 127) return Number(header.readBigUInt64BE(2));
  return len7;
}

/**
 * Mend a backend's frames on `carrier` (socket or HTTP/2 stream). Register
 * before ws's own 'data' listener, so each chunk is mended before ws parses
 * it (ws re-emits the upgrade's `head` through 'data', so that passes here too).
 */
export function mendBackendFrames(carrier: Duplex): PhpOpcodeFixer {
  const fixer = new PhpOpcodeFixer();
  carrier.on('data', function backendFramesMended(chunk: Buffer) {
    try {
      fixer.fix(chunk);
    } catch {
      carrier.destroy();
    }
  });
  return fixer;
}
