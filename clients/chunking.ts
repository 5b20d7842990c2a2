import { BUFFER_OFF, BUFFER_ON } from '../include/protocol.js';

/**
 * Split text into pieces of at most `maxChunkBytes` UTF-8 bytes each, never
 * inside a character: each chunk travels as its own text frame, and a text
 * frame must be valid UTF-8 on its own.
 */
export function splitIntoChunks(text: string, maxChunkBytes: number): string[] {
  if (!(Number.isInteger(maxChunkBytes) && maxChunkBytes >= 4)) {
    // 4 bytes is the longest UTF-8 character; less could not always make progress.
    throw new RangeError(`chunk size must be an integer >= 4 bytes, got ${maxChunkBytes}`);
  }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxChunkBytes) return [text];
  const chunks: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + maxChunkBytes, bytes.length);
    // Step back off UTF-8 continuation bytes (10xxxxxx) so the cut falls between characters.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    chunks.push(bytes.toString('utf8', start, end));
    start = end;
  }
  return chunks;
}

/**
 * The frames that carry one message: the message itself, or, in chunked
 * mode and when it is longer than a chunk, bufferON, the chunks, bufferOFF
 * (the relay joins them and handles the result as one message).
 */
export function framesFor(text: string, chunkBytes: number | null): string[] {
  if (chunkBytes === null) return [text];
  const chunks = splitIntoChunks(text, chunkBytes);
  if (chunks.length === 1) return chunks;
  return [BUFFER_ON, ...chunks, BUFFER_OFF];
}
