import { describe, expect, it } from 'vitest';
import { withSequence } from './sequence.js';

describe('withSequence', () => {
  it('splices seq in front and keeps the original bytes after it', () => {
    const raw = '{"opcode":"feedback","message":"a b",  "x":[1]}';
    const out = withSequence(raw, JSON.parse(raw), 7);
    expect(out).toBe('{"seq":7,"opcode":"feedback","message":"a b",  "x":[1]}');
    expect(JSON.parse(out).seq).toBe(7);
  });

  it('handles leading white space, buffers and empty objects', () => {
    expect(JSON.parse(withSequence(Buffer.from('  {"a":1}'), { a: 1 }, 1))).toEqual({ seq: 1, a: 1 });
    expect(JSON.parse(withSequence('{ }', {}, 2))).toEqual({ seq: 2 });
  });

  it('overrides a seq the publisher put in itself', () => {
    const raw = '{"opcode":"feedback","seq":999}';
    expect(JSON.parse(withSequence(raw, JSON.parse(raw), 3)).seq).toBe(3);
  });
});
