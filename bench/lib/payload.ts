/**
 * What the load generators put in a message so the page can tell which
 * message arrived and when it was sent. The marker is plain ASCII without
 * characters JSON escapes, so it survives however the relay wraps the text
 * (the whole packet forwarded, or only its message).
 */
import { createHash } from 'node:crypto';

const MARK = '~b:';
const END = '~';

/** A message text of exactly `size` characters (at least the marker) carrying index and send time. */
export function markedMessage(index: number, sentUs: number, size: number): string {
  const head = `${MARK}${index}:${sentUs}${END}`;
  return size > head.length ? head + '.'.repeat(size - head.length) : head;
}

export interface Marker {
  index: number;
  sentUs: number;
}

/** Find the marker in a received frame's text; null when the frame carries none (ready, next, ...). */
export function parseMarker(text: string): Marker | null {
  const start = text.indexOf(MARK);
  if (start < 0) return null;
  const colon = text.indexOf(':', start + MARK.length);
  const end = text.indexOf(END, colon + 1);
  if (colon < 0 || end < 0) return null;
  const index = Number(text.slice(start + MARK.length, colon));
  const sentUs = Number(text.slice(colon + 1, end));
  if (!Number.isInteger(index) || !Number.isFinite(sentUs)) return null;
  return { index, sentUs };
}

/**
 * A deterministic ASCII text of `bytes` characters for the large-message
 * scenario: varied, so a corrupted or reordered chunk changes its hash.
 */
export function largeText(bytes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const block = Buffer.alloc(64 * 1024);
  let state = 0x9e3779b9;
  for (let i = 0; i < block.length; i++) {
    // xorshift32: cheap, deterministic, good enough to vary every byte.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    block[i] = alphabet.charCodeAt((state >>> 0) & 63);
  }
  const out = Buffer.alloc(bytes);
  for (let offset = 0; offset < bytes; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, bytes - offset));
    // Stamp the next block with its position so repeated blocks differ as well.
    const blockNo = offset / block.length + 1;
    for (let i = 0; i < 8; i++) block[i] = alphabet.charCodeAt((blockNo >>> (i * 6)) & 63);
  }
  return out.toString('latin1');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'latin1').digest('hex');
}
