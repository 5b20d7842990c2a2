import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scanJsonObject, withoutTopLevelField } from './json-scan.js';

const WANTED = new Set(['opcode', 'uuid', 'ident', 'id', 'message']);

function agreesWithJsonParse(text: string): void {
  let parsed: unknown;
  let valid = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    valid = false;
  }
  const isObject = valid && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  const result = scanJsonObject(Buffer.from(text), WANTED);
  expect(result.ok, text).toBe(isObject);
  if (result.ok && isObject) {
    for (const key of WANTED) {
      if (Object.prototype.hasOwnProperty.call(parsed, key))
        expect(result.fields[key], text).toEqual((parsed as Record<string, unknown>)[key]);
    }
    expect([...result.seen].sort()).toEqual(Object.keys(parsed as object).sort());
  }
}

describe('scanJsonObject', () => {
  it('agrees with JSON.parse on valid objects and picks the wanted fields', () => {
    for (const text of [
      '{}',
      ' { } ',
      '{"opcode":"feedback","uuid":"u-1","message":"hi","x":[1,2,{"a":null}],"y":true,"z":-0.5e+3}',
      '{"ident":"r","message":{"deep":[[[[]]]]},"id":17}',
      '{"message":"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00","opcode":"echo"}',
      '{"opcode":"feedback","n":[0,1,-1,1.5,2e10,3E-2,false,null]}',
      '{"é":"ü","opcode":"日本"}',
    ])
      agreesWithJsonParse(text);
  });

  it('rejects what JSON.parse rejects, and non-objects', () => {
    for (const text of [
      '',
      '[]',
      '"str"',
      '12',
      '{',
      '{"a":}',
      '{"a":1,}',
      '{"a" 1}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":tru}',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{"a":"line\nbreak"}',
      '{"a":1} x',
      '{"a":[1,2}',
      "{'a':1}",
      '{"a":-}',
      '{"a":1e}',
    ])
      agreesWithJsonParse(text);
  });

  it('leaves out wanted fields larger than the limit but says they are there', () => {
    const big = 'x'.repeat(10_000);
    const result = scanJsonObject(Buffer.from(JSON.stringify({ opcode: 'feedback', message: big, uuid: 'u' })), WANTED, 4096);
    expect(result).toMatchObject({ ok: true, fields: { opcode: 'feedback', uuid: 'u' } });
    if (result.ok) {
      expect(result.fields.message).toBeUndefined();
      expect(result.seen.has('message')).toBe(true);
    }
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    const deep = '{"a":' + '['.repeat(5_000) + ']'.repeat(5_000) + '}';
    expect(scanJsonObject(Buffer.from(deep), WANTED).ok).toBe(false);
  });

  it('agrees with JSON.parse on random mutations of a packet', () => {
    const base = '{"opcode":"feedback","uuid":"abc","message":{"t":"x y","n":[1,2.5,-3e2]},"id":"q","ok":true}';
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = '{}[]":,\\ 0123456789.eE+-tfnrulsa\n';
    for (let round = 0; round < 3_000; round++) {
      const chars = [...base];
      const edits = 1 + rand(3);
      for (let e = 0; e < edits; e++) {
        const at = rand(chars.length);
        const op = rand(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]!);
        else chars[at] = alphabet[rand(alphabet.length)]!;
      }
      agreesWithJsonParse(chars.join(''));
    }
  });
});

describe('withoutTopLevelField', () => {
  const strip = (text: string): string => withoutTopLevelField(Buffer.from(text), 'id').toString('utf8');

  it('removes every top-level member of that name and keeps the others byte for byte, nested ones included', () => {
    expect(strip('{"opcode":"feedback","id":17,"message":"m"}')).toBe('{"opcode":"feedback","message":"m"}');
    expect(strip('{"id":"a" , "message":{"id":1},"x":"\\"id\\":2"}')).toBe('{"message":{"id":1},"x":"\\"id\\":2"}');
    expect(strip('{"message":"m","id":[1,2]}')).toBe('{"message":"m"}');
    expect(strip('{"id":1,"id":2}')).toBe('{}');
    expect(strip('{"\\u0069d":3,"m":"é"}')).toBe('{"m":"é"}');
  });

  it('returns the same buffer when there is nothing to remove or the text is not an object', () => {
    for (const text of ['{}', '{"message":"id"}', '[1]', '"id"', '{"id":']) {
      const buf = Buffer.from(text);
      expect(withoutTopLevelField(buf, 'id')).toBe(buf);
    }
  });

  it('agrees with JSON.parse + delete for any object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('id', 'opcode', 'message', 'x', 'ïd'), fc.jsonValue()), (object) => {
        const text = JSON.stringify(object);
        const expected = { ...object };
        delete expected.id;
        expect(JSON.parse(strip(text))).toEqual(JSON.parse(JSON.stringify(expected)));
      }),
    );
  });
});
