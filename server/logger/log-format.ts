/**
 * One log line: `2026-11-23T17:00:00.123Z INFO message key=value key="two words"`.
 * Always a single line, so `grep` and log shippers see one event per line
 * even when a payload (debug) contains newlines.
 */
import type { LogLevel } from '../config/relay-config.js';
import type { LogFields } from './logger.js';

/** Field values longer than this are cut: a 5 MiB payload at debug must not become a 5 MiB line. */
export const MAX_FIELD_CHARS = 2048;

const BARE_VALUE = /^[^\s"=\\]+$/;

function escapeNewlines(text: string): string {
  return text.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function formatValue(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  let text = value;
  if (text.length > MAX_FIELD_CHARS) text = `${text.slice(0, MAX_FIELD_CHARS)}…(+${text.length - MAX_FIELD_CHARS} chars)`;
  return BARE_VALUE.test(text) ? text : JSON.stringify(text);
}

/** Format one line, without the trailing newline. Undefined fields are left out. */
export function formatLogLine(time: Date, level: LogLevel, message: string, fields?: LogFields): string {
  let line = `${time.toISOString()} ${level.toUpperCase()} ${escapeNewlines(message)}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}
