/**
 * One log line: `2026-11-23T17:00:00.123Z INFO message key=value key="two words"`.
 * Always a single line, so `grep` and log shippers see one event per line
 * even when a payload (debug) contains newlines, and never a line a client
 * can forge: control characters are written as escapes everywhere.
 */
import type { LogLevel } from '../config/relay-config.js';
import type { LogFields } from './logger.js';

/** Field values longer than this are cut: a 5 MiB payload at debug must not become a 5 MiB line. */
export const MAX_FIELD_CHARS = 2048;

const BARE_VALUE = /^[^\s"=\\]+$/;

/**
 * What a client could use to fake a line or hide text: C0 controls (CR, LF,
 * ESC starting a terminal sequence), DEL, C1 controls (NEL 0x85 ends a line
 * for some readers, CSI 0x9B), the Unicode line and paragraph separators,
 * and the bidirectional overrides and isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same set without the global flag, for test() (a global regex keeps state between calls). */
const HAS_UNSAFE = new RegExp(UNSAFE.source);

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Replace every unsafe character with a visible escape (`\n`, `\u001b`, `\u2028`). */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

function formatValue(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  let text = value;
  if (text.length > MAX_FIELD_CHARS) text = `${text.slice(0, MAX_FIELD_CHARS)}…(+${text.length - MAX_FIELD_CHARS} chars)`;
  if (BARE_VALUE.test(text) && !HAS_UNSAFE.test(text)) return text;
  // JSON.stringify escapes C0 but leaves DEL, C1, U+2028/9 and the bidi controls as they are.
  return escapeUnsafe(JSON.stringify(text));
}

/** Format one line, without the trailing newline. Undefined fields are left out. */
export function formatLogLine(time: Date, level: LogLevel, message: string, fields?: LogFields): string {
  let line = `${time.toISOString()} ${level.toUpperCase()} ${escapeUnsafe(message)}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      line += ` ${escapeUnsafe(key)}=${formatValue(value)}`;
    }
  }
  return line;
}
