import { describe, expect, it } from 'vitest';
import { largeText, markedMessage, parseMarker, sha256 } from './payload.js';

describe('markedMessage / parseMarker', () => {
  it('round-trips index and send time, padded to the requested size', () => {
    const text = markedMessage(1234, 987654321, 100);
    expect(text).toHaveLength(100);
    expect(parseMarker(text)).toEqual({ index: 1234, sentUs: 987654321 });
  });

  it('finds the marker inside a JSON packet that wraps the message', () => {
    const packet = JSON.stringify({ opcode: 'feedback', uuid: 'u', message: markedMessage(7, 42, 60), seq: 3 });
    expect(parseMarker(packet)).toEqual({ index: 7, sentUs: 42 });
  });

  it('returns null for frames without a marker', () => {
    expect(parseMarker('{"opcode":"ready","uuid":"x"}')).toBeNull();
    expect(parseMarker('~b:12')).toBeNull();
    expect(parseMarker('~b:x:1~')).toBeNull();
  });
});

describe('largeText', () => {
  it('is deterministic, of the requested length, and not periodic in 64 KiB blocks', () => {
    const a = largeText(200_000);
    expect(a).toHaveLength(200_000);
    expect(sha256(a)).toBe(sha256(largeText(200_000)));
    expect(a.slice(0, 1000)).not.toBe(a.slice(65_536, 66_536));
    expect(/^[A-Za-z0-9+/]+$/.test(a)).toBe(true);
  });
});
