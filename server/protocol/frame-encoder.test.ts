import { describe, expect, it } from 'vitest';
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';
import { encodeServerTextFrame, encodeServerTextFrameFromText } from './frame-encoder.js';

// ws exports its frame parser, but @types/ws does not declare it.
const { Receiver } = wsModule as unknown as { Receiver: new (options: { isServer: boolean }) => Writable };

/** Decode with ws's own parser (as a client would), so the test checks the wire format, not our reading of it. */
function decode(frame: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer) => resolve(data.toString()));
    receiver.on('error', reject);
    for (const part of frame) receiver.write(part);
  });
}

describe('encodeServerTextFrame', () => {
  it.each([0, 5, 125, 126, 65_535, 65_536, 200_000])('encodes a %i byte payload that ws decodes intact', async (size) => {
    const text = 'a'.repeat(size);
    expect(await decode(encodeServerTextFrame(Buffer.from(text)))).toBe(text);
  });

  it.each([0, 5, 125, 126, 65_535, 65_536, 200_000])('encodes a text of %i characters, multibyte ones too, in one buffer', async (size) => {
    const text = 'é€'.repeat(size / 5) + 'a'.repeat(size - 2 * Math.floor(size / 5));
    expect(await decode([encodeServerTextFrameFromText(text)])).toBe(text);
  });
});
