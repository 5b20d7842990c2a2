import { BUFFER_OFF, BUFFER_ON } from '../../include/protocol.js';

export type ChunkResult =
  /** Not part of a chunked message: handle the frame as a message. */
  | { kind: 'message'; text: string }
  /** Consumed (bufferON or a chunk): acknowledge and wait for more. */
  | { kind: 'pending' }
  /** bufferOFF: the joined message. */
  | { kind: 'joined'; text: string }
  | { kind: 'too-many-chunks' }
  | { kind: 'too-large' };

/**
 * Joins the v1 long-message form: the text `bufferON`, then chunks, then
 * `bufferOFF`. Pure: it never touches a socket.
 */
export class ChunkJoiner {
  #chunks: string[] | null = null;
  #bytes = 0;

  constructor(
    private readonly maxChunks: number,
    private readonly maxBytes: number,
  ) {}

  get active(): boolean {
    return this.#chunks !== null;
  }

  /** Bytes of the chunks held so far (the relay-wide in-flight budget counts them). */
  get bytes(): number {
    return this.#bytes;
  }

  push(text: string): ChunkResult {
    if (text === BUFFER_ON) {
      this.#chunks = [];
      this.#bytes = 0;
      return { kind: 'pending' };
    }
    if (this.#chunks === null) {
      // A stray bufferOFF joins nothing: acknowledge it and move on.
      return text === BUFFER_OFF ? { kind: 'pending' } : { kind: 'message', text };
    }
    if (text === BUFFER_OFF) {
      const joined = this.#chunks.join('');
      this.reset();
      return { kind: 'joined', text: joined };
    }
    if (this.#chunks.length >= this.maxChunks) {
      this.reset();
      return { kind: 'too-many-chunks' };
    }
    this.#bytes += Buffer.byteLength(text);
    if (this.#bytes > this.maxBytes) {
      this.reset();
      return { kind: 'too-large' };
    }
    this.#chunks.push(text);
    return { kind: 'pending' };
  }

  reset(): void {
    this.#chunks = null;
    this.#bytes = 0;
  }
}
