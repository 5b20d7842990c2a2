import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { feedbackText, toFeedbackPacket } from './feedback-request.js';
import { HttpError } from './http-error.js';
import { bodyText, parseJsonText } from './read-json-body.js';

/** Equal as a page sees them: same keys in the same order, numbers by Object.is (-0 is not 0). */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i]) return false;
    if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

/**
 * What the HTTP API forwards for a body: the text feedbackText makes, else
 * (its null) JSON.stringify of the packet, the only path there was before.
 * Null when the body is refused.
 */
function forwarded(bytes: Buffer): { fast: string | null; stringified: string } | null {
  const text = bodyText(bytes);
  let body: unknown;
  try {
    body = parseJsonText(text);
  } catch (error) {
    if (error instanceof HttpError) return null;
    throw error;
  }
  let packet;
  try {
    packet = toFeedbackPacket(body);
  } catch (error) {
    if (error instanceof HttpError) return null;
    throw error;
  }
  return { fast: feedbackText(body as Record<string, unknown>, text), stringified: JSON.stringify(packet) };
}

function expectSameForPages(bytes: Buffer): string | null {
  const result = forwarded(bytes);
  if (result === null) return null;
  if (result.fast !== null) {
    const fast = JSON.parse(result.fast) as unknown;
    const before = JSON.parse(result.stringified) as unknown;
    expect(sameValue(fast, before), `${result.fast}\nvs\n${result.stringified}`).toBe(true);
  }
  return result.fast;
}

const fromText = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('feedbackText', () => {
  it('forwards the body after its brace behind the opcode, whitespace and all but the ends', () => {
    expect(expectSameForPages(fromText(' \r\n{ "uuid" : "u",\n\t"message":"hi"}\n'))).toBe(
      '{"opcode":"feedback","uuid" : "u",\n\t"message":"hi"}',
    );
    expect(expectSameForPages(fromText('\ufeff{"uuid":"u","message":"hi"}'))).toBe('{"opcode":"feedback","uuid":"u","message":"hi"}');
  });

  it('reads alike with duplicate keys, __proto__, integer-like keys and escapes', () => {
    for (const text of [
      '{"uuid":"a","message":"x","uuid":"b"}',
      '{"uuid":"u","message":{"__proto__":{"polluted":true}},"__proto__":[1]}',
      '{"uuid":"u","2":"two","message":"m","1":"one","0":0}',
      '{"uuid":"u","message":"\\ud800 \\udfff \\ud83d\\ude00 \\u00e9 \\/ \\u0000 \u2028"}',
      '{"uuid":"u","message":[1.50,1E2,-1e-5,12345678901234567890123,1e-400]}',
      '{"uuid":"u","message":"x","toJSON":"not a function"}',
    ])
      expect(expectSameForPages(fromText(text)), text).not.toBeNull();
  });

  it('leaves to JSON.stringify what it writes otherwise: opcode, seq, -0, huge numbers, deep nesting', () => {
    for (const text of [
      '{"uuid":"u","message":"x","opcode":"echo"}',
      '{"uuid":"u","message":"x","opcode":null}',
      '{"uuid":"u","message":"x","seq":7}',
      '{"uuid":"u","message":-0}',
      '{"uuid":"u","message":[-0.0e5]}',
      '{"uuid":"u","message":{"n":-1e-400}}',
      '{"uuid":"u","message":1e400}',
      `{"uuid":"u","message":${'9'.repeat(400)}}`,
      `{"uuid":"u","message":${'['.repeat(100)}${']'.repeat(100)}}`,
    ]) {
      const result = forwarded(fromText(text));
      expect(result, text).not.toBeNull();
      expect(result!.fast, text).toBeNull();
    }
  });

  it('takes undecodable bytes as the parse did (U+FFFD)', () => {
    const bytes = Buffer.concat([fromText('{"uuid":"u","message":"a'), Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xc3]), fromText('b"}')]);
    expect(expectSameForPages(bytes)).toBe(`{"opcode":"feedback","uuid":"u","message":"a${'\ufffd'.repeat(5)}b"}`);
  });

  it('forwards text that pages parse to the same value as the serialised packet (property)', () => {
    const key = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        'uuid',
        'ident',
        'channel',
        'message',
        'progress',
        'id',
        'opcode',
        'seq',
        '__proto__',
        '0',
        '7',
        '4294967295',
        'toJSON',
      ),
    );
    const special = fc.constantFrom(
      '-0',
      '-0.0',
      '1e400',
      '-1e400',
      '-1e-400',
      '1e-400',
      '1.50',
      '1E2',
      '12345678901234567890123',
      '"\\ud800"',
      '"\\udc00\\ud800"',
      '"\\u00e9\\/\\b"',
      '"\u2028"',
      '{}',
      '[]',
    );
    const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        special,
        fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
        fc
          .array(fc.tuple(key, tie('value')), { maxLength: 3 })
          .map((members) => `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
      ),
    })).value;
    const space = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');
    const member = fc.tuple(space, key, space, valueText, space).map(([a, k, b, v, c]) => `${a}${JSON.stringify(k)}${b}:${v}${c}`);
    const recipient = fc.constantFrom('"uuid":"u-1"', '"ident":"script"', '"uuid":"","ident":"s"', '"uuid":null,"ident":"s"', '"uuid":""');
    const body = fc
      .tuple(
        fc.constantFrom('', '\ufeff', ' ', '\n'),
        recipient,
        fc.constantFrom('"message":"hi"', '"message":null', '"progress":{"job":"j","done":1}', ''),
        fc.array(member, { maxLength: 5 }),
        fc.constantFrom('', ' ', '\n'),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 4 }).map((bytes) => Buffer.from(bytes.map((b) => 0x80 | b)))),
      )
      .map(([lead, who, what, rest, trail, badBytes]) => {
        const members = [who, ...(what === '' ? [] : [what]), ...rest];
        const text = `${lead}{${members.join(',')}}${trail}`;
        if (badBytes === null) return fromText(text);
        // Undecodable bytes inside a string: "…<bytes>…".
        return Buffer.concat([fromText(`${lead}{${members.join(',')},"bad":"x`), badBytes, fromText(`y"}${trail}`)]);
      });
    let fast = 0;
    fc.assert(
      fc.property(body, (bytes) => {
        if (expectSameForPages(bytes) !== null) fast++;
      }),
      { seed: 16, numRuns: 2000 },
    );
    // The generator must reach the fast path often, or the property says little.
    expect(fast).toBeGreaterThan(200);
  });
});
