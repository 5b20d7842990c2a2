import { describe, expect, it } from 'vitest';
import { BUFFER_OFF, BUFFER_ON } from '../../include/protocol.js';
import { framesFor } from './chunker.js';

describe('framesFor', () => {
  it('sends short text as one frame', () => {
    expect(framesFor('{"opcode":"echo"}', 64)).toEqual(['{"opcode":"echo"}']);
    expect(framesFor('x'.repeat(64), 64)).toEqual(['x'.repeat(64)]);
  });

  it('never chunks when chunkSize is 0', () => {
    expect(framesFor('x'.repeat(100_000), 0)).toHaveLength(1);
  });

  it('wraps chunks of long text in bufferON/bufferOFF', () => {
    const frames = framesFor('abcdefghij', 4);
    expect(frames).toEqual([BUFFER_ON, 'abcd', 'efgh', 'ij', BUFFER_OFF]);
  });

  it('keeps surrogate pairs whole so the joined UTF-8 is the original', () => {
    const text = 'ab😀cd😀😀e'.repeat(50);
    for (const size of [1, 2, 3, 4, 7]) {
      const frames = framesFor(text, size);
      const chunks = frames.slice(1, -1);
      expect(chunks.join('')).toBe(text);
      for (const chunk of chunks) {
        // Re-encoding would turn a lone surrogate into U+FFFD.
        expect(new TextDecoder().decode(new TextEncoder().encode(chunk))).toBe(chunk);
        expect(chunk.length).toBeLessThanOrEqual(Math.max(size, 2));
      }
    }
  });
});
