import { describe, expect, it } from 'vitest';
import { keepSequence } from './keep-sequence.js';

describe('keepSequence', () => {
  it('puts the original seq into a replacement object that lacks it or has another', () => {
    expect(keepSequence('{"seq":7,"opcode":"feedback"}', '{"opcode":"x"}')).toBe('{"seq":7,"opcode":"x"}');
    expect(JSON.parse(keepSequence('{"seq":7,"a":1}', '{"seq":2,"b":2}'))).toEqual({ seq: 7, b: 2 });
    expect(JSON.parse(keepSequence('{"seq":7,"a":1}', '{ }'))).toEqual({ seq: 7 });
  });

  it('leaves alone what has no number to keep or cannot carry one', () => {
    expect(keepSequence('{"opcode":"feedback"}', '{"opcode":"x"}')).toBe('{"opcode":"x"}');
    expect(keepSequence('{"seq":7}', 'plain text')).toBe('plain text');
    expect(keepSequence('{"seq":7}', '[1,2]')).toBe('[1,2]');
    expect(keepSequence('{"seq":7,"a":1}', '{"seq":7,"b":1}')).toBe('{"seq":7,"b":1}');
  });
});
