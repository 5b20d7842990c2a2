import { BUFFER_OFF, BUFFER_ON } from '../../include/protocol.js';

/**
 * The frames that carry `text` under protocol v1: the text itself when it is
 * short, else `bufferON`, the text in pieces of at most `chunkSize` UTF-16
 * units, and `bufferOFF` (the relay joins them). `chunkSize` 0 disables
 * chunking.
 *
 * A piece never ends between the two halves of a surrogate pair: the browser
 * would encode each lone half as U+FFFD and the joined message would differ
 * from the one sent.
 * @example framesFor('x'.repeat(10), 4) // ['bufferON', 'xxxx', 'xxxx', 'xx', 'bufferOFF']
 */
export function framesFor(text: string, chunkSize: number): string[] {
  if (chunkSize <= 0 || text.length <= chunkSize) return [text];
  const frames = [BUFFER_ON];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + chunkSize, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) {
      // Move the cut before the pair, or past it when the pair is the whole piece.
      end += end - start > 1 ? -1 : 1;
    }
    frames.push(text.slice(start, end));
    start = end;
  }
  frames.push(BUFFER_OFF);
  return frames;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
