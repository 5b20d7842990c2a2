/**
 * Validates a JSON object held in a Buffer and extracts only some of its
 * top-level fields, without turning the whole text into strings. A relay
 * needs `opcode`, `uuid`, `ident` and `id` to route a message; parsing a
 * 64 MiB message just for those would cost two more copies of it in memory
 * (the decoded text and the parsed value).
 */

export type ScanResult = { ok: true; fields: Record<string, unknown>; seen: Set<string> } | { ok: false; reason: string };

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MAX_DEPTH = 1000;

class ScanError extends Error {}

const NONE: ReadonlySet<string> = new Set();

/**
 * Scan `buf` as one JSON object. Fields named in `wanted` whose value is at
 * most `maxFieldBytes` long are parsed and returned, and those in `whole`
 * whatever their size (a routing field must read the same as JSON.parse
 * would give it, or a message's size would change where it goes); `seen`
 * lists every top-level key present, so callers can tell a large field from
 * a missing one.
 */
export function scanJsonObject(
  buf: Buffer,
  wanted: ReadonlySet<string>,
  maxFieldBytes = 4096,
  whole: ReadonlySet<string> = NONE,
): ScanResult {
  try {
    const fields: Record<string, unknown> = {};
    const seen = new Set<string>();
    let i = skipSpace(buf, 0);
    if (buf[i] !== OPEN_BRACE) throw new ScanError('not an object');
    i = skipSpace(buf, i + 1);
    if (buf[i] === CLOSE_BRACE) {
      i++;
    } else {
      for (;;) {
        if (buf[i] !== QUOTE) throw new ScanError('expected a key');
        const keyEnd = skipString(buf, i);
        const key = JSON.parse(buf.toString('utf8', i, keyEnd)) as string;
        i = skipSpace(buf, keyEnd);
        if (buf[i] !== COLON) throw new ScanError('expected ":"');
        const valueStart = skipSpace(buf, i + 1);
        const valueEnd = skipValue(buf, valueStart, 1);
        seen.add(key);
        if (wanted.has(key)) {
          // As with JSON.parse, a repeated key's last value counts.
          if (valueEnd - valueStart <= maxFieldBytes || whole.has(key))
            fields[key] = JSON.parse(buf.toString('utf8', valueStart, valueEnd));
          else delete fields[key];
        }
        i = skipSpace(buf, valueEnd);
        if (buf[i] === COMMA) {
          i = skipSpace(buf, i + 1);
          continue;
        }
        if (buf[i] === CLOSE_BRACE) {
          i++;
          break;
        }
        throw new ScanError('expected "," or "}"');
      }
    }
    if (skipSpace(buf, i) !== buf.length) throw new ScanError('text after the object');
    return { ok: true, fields, seen };
  } catch (error) {
    if (error instanceof ScanError || error instanceof SyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length) {
    const c = buf[i]!;
    if (c !== SPACE && c !== TAB && c !== LF && c !== CR) break;
    i++;
  }
  return i;
}

/** `i` is at the opening quote; returns the index after the closing one. */
function skipString(buf: Buffer, i: number): number {
  i++;
  const end = buf.length;
  while (i < end) {
    const c = buf[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = buf[i + 1];
      if (e === 0x75) {
        // \uXXXX
        for (let k = 2; k <= 5; k++) if (!isHex(buf[i + k])) throw new ScanError('bad \\u escape');
        i += 6;
        continue;
      }
      if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
        continue;
      }
      throw new ScanError('bad escape');
    }
    if (c < 0x20) throw new ScanError('control character in a string');
    i++;
  }
  throw new ScanError('unterminated string');
}

function skipValue(buf: Buffer, i: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new ScanError('nested too deeply');
  const c = buf[i];
  if (c === QUOTE) return skipString(buf, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return skipContainer(buf, i, depth);
  if (c === 0x74) return expectWord(buf, i, 'true');
  if (c === 0x66) return expectWord(buf, i, 'false');
  if (c === 0x6e) return expectWord(buf, i, 'null');
  return skipNumber(buf, i);
}

function skipContainer(buf: Buffer, i: number, depth: number): number {
  const isObject = buf[i] === OPEN_BRACE;
  const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
  i = skipSpace(buf, i + 1);
  if (buf[i] === close) return i + 1;
  for (;;) {
    if (isObject) {
      if (buf[i] !== QUOTE) throw new ScanError('expected a key');
      i = skipSpace(buf, skipString(buf, i));
      if (buf[i] !== COLON) throw new ScanError('expected ":"');
      i = skipSpace(buf, i + 1);
    }
    i = skipSpace(buf, skipValue(buf, i, depth + 1));
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    if (buf[i] === close) return i + 1;
    throw new ScanError('expected "," or a closing bracket');
  }
}

function expectWord(buf: Buffer, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (buf[i + k] !== word.charCodeAt(k)) throw new ScanError('bad literal');
  return i + word.length;
}

/** JSON number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
function skipNumber(buf: Buffer, i: number): number {
  if (buf[i] === 0x2d) i++;
  if (buf[i] === 0x30) i++;
  else if (isDigit(buf[i]) && buf[i] !== 0x30) while (isDigit(buf[i])) i++;
  else throw new ScanError('bad value');
  if (buf[i] === 0x2e) {
    i++;
    if (!isDigit(buf[i])) throw new ScanError('bad number');
    while (isDigit(buf[i])) i++;
  }
  if (buf[i] === 0x65 || buf[i] === 0x45) {
    i++;
    if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
    if (!isDigit(buf[i])) throw new ScanError('bad number');
    while (isDigit(buf[i])) i++;
  }
  return i;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/**
 * `buf` (a valid JSON object) without its top-level members named `key`,
 * every other member's bytes as they came (whitespace between members is
 * not kept). Used to keep a v2 request `id`, which belongs to the sender and
 * the relay, from reaching recipients. Returns `buf` itself when there is no
 * such member or the text is not a JSON object.
 */
export function withoutTopLevelField(buf: Buffer, key: string): Buffer {
  try {
    const kept: Buffer[] = [];
    let removed = false;
    let i = skipSpace(buf, 0);
    if (buf[i] !== OPEN_BRACE) return buf;
    i = skipSpace(buf, i + 1);
    if (buf[i] === CLOSE_BRACE) return buf;
    for (;;) {
      const memberStart = i;
      if (buf[i] !== QUOTE) return buf;
      const keyEnd = skipString(buf, i);
      const name = JSON.parse(buf.toString('utf8', i, keyEnd)) as string;
      i = skipSpace(buf, keyEnd);
      if (buf[i] !== COLON) return buf;
      const valueEnd = skipValue(buf, skipSpace(buf, i + 1), 1);
      if (name === key) removed = true;
      else kept.push(buf.subarray(memberStart, valueEnd));
      i = skipSpace(buf, valueEnd);
      if (buf[i] === COMMA) {
        i = skipSpace(buf, i + 1);
        continue;
      }
      if (buf[i] === CLOSE_BRACE) break;
      return buf;
    }
    if (!removed) return buf;
    const parts: Buffer[] = [Buffer.from('{')];
    kept.forEach((member, n) => {
      if (n > 0) parts.push(COMMA_BYTES);
      parts.push(member);
    });
    parts.push(Buffer.from('}'));
    return Buffer.concat(parts);
  } catch (error) {
    if (error instanceof ScanError || error instanceof SyntaxError) return buf;
    throw error;
  }
}

const COMMA_BYTES = Buffer.from(',');
