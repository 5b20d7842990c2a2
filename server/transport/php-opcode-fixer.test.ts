import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeMaskedFrame } from '../../test/helpers/php-style-client.js';
import { PhpOpcodeFixer } from './php-opcode-fixer.js';

/** The first bytes of each frame in a byte stream, to compare opcodes. */
function firstBytes(stream: Buffer): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < stream.length) {
    const frame = stream.subarray(at);
    out.push(frame[0]!);
    const decoded = decodeFrame(frame);
    const len7 = frame[1]! & 0x7f;
    const header = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((frame[1]! & 0x80) !== 0 ? 4 : 0);
    at += header + decoded.payload.length;
  }
  return out;
}

/** Feed the stream to a fixer cut at the given sizes; return the mended stream. */
function feed(stream: Buffer, cut: (i: number) => number): { out: Buffer; fixer: PhpOpcodeFixer } {
  const copy = Buffer.from(stream);
  const fixer = new PhpOpcodeFixer();
  let at = 0;
  let k = 0;
  while (at < copy.length) {
    const size = Math.max(1, cut(k++));
    fixer.fix(copy.subarray(at, at + size));
    at += size;
  }
  return { out: copy, fixer };
}

const frame = (opcode: number, text: string | Buffer, fin = true) => encodeMaskedFrame(opcode, Buffer.from(text), fin);

describe('PhpOpcodeFixer', () => {
  it('turns the original PHP client’s FIN + opcode 0 messages into text frames, at any cut of the bytes', () => {
    const stream = Buffer.concat([frame(1, 'first'), frame(0, 'second'), frame(0, 'third'), frame(8, '')]);
    for (let size = 1; size <= stream.length; size++) {
      const { out, fixer } = feed(stream, () => size);
      expect(firstBytes(out)).toEqual([0x81, 0x81, 0x81, 0x88]);
      expect(fixer.rewritten).toBe(2);
    }
  });

  it('leaves real fragmentation alone, pings between fragments included', () => {
    const stream = Buffer.concat([frame(1, 'a', false), frame(9, 'ping'), frame(0, 'b', false), frame(0, 'c', true), frame(0, 'after')]);
    const { out, fixer } = feed(stream, () => 3);
    expect(firstBytes(out)).toEqual([0x01, 0x89, 0x00, 0x80, 0x81]);
    expect(fixer.rewritten).toBe(1);
  });

  it('skips large payloads (16- and 64-bit lengths) correctly, cut at random', () => {
    const big = Buffer.alloc(70_000, 0x80); // payload bytes that look like headers must not confuse it
    const mid = Buffer.alloc(300, 0x80);
    const stream = Buffer.concat([frame(1, big), frame(0, mid), frame(0, 'x'), frame(1, mid)]);
    let seed = 7;
    const { out, fixer } = feed(stream, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return 1 + (seed % 5000);
    });
    expect(firstBytes(out)).toEqual([0x81, 0x81, 0x81, 0x81]);
    expect(fixer.rewritten).toBe(2);
  });
});
