import { describe, expect, it } from 'vitest';
import { closeReason, MAX_CLOSE_REASON_BYTES } from './close-reason.js';

const decode = (bytes: Buffer): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

describe('closeReason', () => {
  it('keeps a short reason whole', () => {
    expect(closeReason('quit').toString()).toBe('quit');
    expect(closeReason('x'.repeat(123))).toHaveLength(123);
  });

  it('cuts by bytes at a character boundary, for 1- to 4-byte characters', () => {
    for (const char of ['x', '\u00e9', '\u20ac', '\u{1f600}']) {
      for (let prefix = 0; prefix < 4; prefix++) {
        const cut = closeReason('a'.repeat(prefix) + char.repeat(200));
        expect(cut.length).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
        expect(cut.length).toBeGreaterThan(MAX_CLOSE_REASON_BYTES - 4);
        expect(() => decode(cut)).not.toThrow();
      }
    }
  });
});
