import { describe, expect, it } from 'vitest';
import { BUFFER_OFF, BUFFER_ON } from '../include/protocol.js';
import { framesFor, splitIntoChunks } from './chunking.js';

describe('splitIntoChunks', () => {
  it('keeps a short text whole', () => {
    expect(splitIntoChunks('hello', 16)).toEqual(['hello']);
  });

  it('cuts ASCII at exactly the chunk size', () => {
    expect(splitIntoChunks('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('never cuts inside a multi-byte character, and joins back to the original', () => {
    const text = 'aé€😀'.repeat(50);
    const chunks = splitIntoChunks(text, 7);
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) {
      expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(7);
      expect(chunk).not.toContain('\ufffd');
    }
  });

  it('rejects a chunk size that cannot hold every character', () => {
    expect(() => splitIntoChunks('x', 3)).toThrow(RangeError);
    expect(() => splitIntoChunks('x', 4.5)).toThrow(RangeError);
  });
});

describe('framesFor', () => {
  it('sends one frame when chunking is off, however long the text', () => {
    expect(framesFor('x'.repeat(1000), null)).toHaveLength(1);
  });

  it('wraps chunks in bufferON / bufferOFF', () => {
    expect(framesFor('abcdefgh', 4)).toEqual([BUFFER_ON, 'abcd', 'efgh', BUFFER_OFF]);
  });

  it('does not wrap a text that fits in one chunk', () => {
    expect(framesFor('abc', 4)).toEqual(['abc']);
  });
});
