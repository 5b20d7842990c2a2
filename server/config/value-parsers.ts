/**
 * Pure parsers for websock.ini values. Each takes what the `ini` package
 * yields for one key and returns the typed value, or throws InvalidValue
 * whose message says what is allowed (the loader adds the key and value).
 */
import { isIP } from 'node:net';
import { AddressError, parseAddress, SCHEMES } from '../../include/address.js';
import type { RelayAddress } from '../../include/address.js';
import type { LogLevel } from './relay-config.js';

/** What `ini` gives for a key: a string, a boolean for true/false, null for null. */
export type RawValue = string | boolean | null;

/** A value a parser rejects; the message is "what is allowed", no key, no value. */
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue';
}

/** The text of a value; booleans and null read back as the user wrote them. */
export function text(raw: RawValue): string {
  return raw === null ? '' : String(raw).trim();
}

/** A string where empty means "not set" (the original writes `certFile=''`). */
export function optionalText(raw: RawValue): string | null {
  const value = text(raw);
  return value === '' ? null : value;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', '']);

export function bool(raw: RawValue): boolean {
  if (typeof raw === 'boolean') return raw;
  const word = text(raw).toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new InvalidValue('expected true or false (yes/no, on/off and 1/0 work too)');
}

/** A boolean, or null for `auto` (or an empty value): the relay decides. */
export function boolOrAuto(raw: RawValue): boolean | null {
  if (raw === null || (typeof raw === 'string' && ['auto', ''].includes(raw.trim().toLowerCase()))) return null;
  try {
    return bool(raw);
  } catch {
    throw new InvalidValue('expected true, false or auto (yes/no, on/off and 1/0 work too)');
  }
}

/**
 * Longest duration a key that drives a timer may have. Node fires a timer
 * of more than 2^31-1 ms after 1 ms instead (pings every millisecond would
 * evict every page), so larger values are refused; this round limit also
 * leaves room for the 5 s the serve command adds to shutdownGrace.
 */
export const MAX_TIMER_SECONDS = 2_000_000;
export const MAX_TIMER_MS = MAX_TIMER_SECONDS * 1000;

export interface CountOptions {
  min: number;
  /** Largest value allowed (milliseconds that go to a timer: MAX_TIMER_MS). */
  max?: number;
  /** Said in the error, e.g. "0 = no limit". */
  note?: string;
}

function describeMin(what: string, min: number, note?: string): string {
  return `expected ${what} >= ${min}${note ? ` (${note})` : ''}`;
}

/** A whole number (a count, a limit, milliseconds). */
export function wholeNumber(raw: RawValue, options: CountOptions): number {
  const value = text(raw);
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < options.min) {
    throw new InvalidValue(describeMin('a whole number', options.min, options.note));
  }
  if (options.max !== undefined && n > options.max) {
    throw new InvalidValue(`expected a whole number from ${options.min} to ${options.max}${options.note ? ` (${options.note})` : ''}`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i;

/** A size in bytes with an optional K, M or G suffix (powers of 1024): 16M, 512K, 1.5G. */
export function byteSize(raw: RawValue, options: CountOptions): number {
  const match = SIZE_RE.exec(text(raw));
  const n = match ? Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(n) || n < options.min) {
    throw new InvalidValue(
      describeMin('a size in bytes', options.min, `K, M, G suffixes allowed${options.note ? `; ${options.note}` : ''}`),
    );
  }
  return n;
}

/** A size, or `auto` (also empty) for null: the caller then derives it (from the heap limit). */
export function byteSizeOrAuto(raw: RawValue, options: CountOptions): number | null {
  if (raw === null || (typeof raw === 'string' && ['auto', ''].includes(raw.trim().toLowerCase()))) return null;
  try {
    return byteSize(raw, options);
  } catch {
    throw new InvalidValue(
      describeMin('a size in bytes or auto', options.min, `K, M, G suffixes allowed${options.note ? `; ${options.note}` : ''}`),
    );
  }
}

export interface SecondsOptions {
  /** Reject 0 (a deadline of no time makes no sense). */
  positive: boolean;
  /** The value drives a timer: at most MAX_TIMER_SECONDS. */
  timer?: boolean;
  note?: string;
}

/** A duration written in seconds (decimals allowed), returned in milliseconds. */
export function seconds(raw: RawValue, options: SecondsOptions): number {
  const value = text(raw);
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || (options.positive && n === 0)) {
    const what = options.positive ? 'a number of seconds > 0' : 'a number of seconds >= 0';
    throw new InvalidValue(`expected ${what} (decimals allowed${options.note ? `; ${options.note}` : ''})`);
  }
  if (options.timer === true && n > MAX_TIMER_SECONDS) {
    throw new InvalidValue(
      `expected a number of seconds <= ${MAX_TIMER_SECONDS} (about 23 days${options.note ? `; ${options.note}` : ''})`,
    );
  }
  return Math.round(n * 1000);
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function logLevel(raw: RawValue): LogLevel {
  const value = text(raw).toLowerCase();
  const level = LOG_LEVELS.find((l) => l === value);
  if (!level) throw new InvalidValue(`expected one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** A comma-separated list; blanks are dropped. */
export function list(raw: RawValue): string[] {
  return text(raw)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Is this an IP or a CIDR range such as 10.0.0.0/8 or fd00::/8? */
export function isIpOrRange(item: string): boolean {
  const slash = item.indexOf('/');
  if (slash === -1) return isIP(item) !== 0;
  const family = isIP(item.slice(0, slash));
  const bits = item.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** IPs and CIDR ranges, plus the word `self` (this host's addresses) when allowed. */
export function ipList(raw: RawValue, options: { allowSelf: boolean }): string[] {
  const items = list(raw);
  for (const item of items) {
    if (options.allowSelf && item.toLowerCase() === 'self') continue;
    if (!isIpOrRange(item)) {
      const allowed = options.allowSelf ? 'an IP, a CIDR range (e.g. 10.0.0.0/8) or self' : 'an IP or a CIDR range (e.g. 10.0.0.0/8)';
      throw new InvalidValue(`"${item}" is not ${allowed}`);
    }
  }
  return items.map((item) => (item.toLowerCase() === 'self' ? 'self' : item));
}

/** Ident names (compared exactly with a feedback's `ident`): no blanks, at most 256 characters each. */
export function identList(raw: RawValue): string[] {
  const items = list(raw);
  for (const item of items) {
    if (item.length > 256 || /\s/.test(item))
      throw new InvalidValue(`"${item.slice(0, 40)}" is not an ident (no blanks, at most 256 characters)`);
  }
  return items;
}

/** Browser origins, compared with the Origin header: scheme://host[:port], no path. */
export function originList(raw: RawValue): string[] {
  return list(raw).map((item) => {
    let origin: string | null = null;
    try {
      const url = new URL(item);
      if (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        (url.pathname === '/' || url.pathname === '') &&
        !url.search &&
        !url.hash
      ) {
        origin = url.origin;
      }
    } catch {
      origin = null;
    }
    if (origin === null || !/^https?:\/\/[^/]+\/?$/i.test(item)) {
      throw new InvalidValue(`"${item}" is not an origin of the form http(s)://HOST[:PORT]`);
    }
    return origin;
  });
}

/** Where to listen: SCHEME://HOST[:PORT]. */
export function address(raw: RawValue): RelayAddress {
  const value = text(raw);
  try {
    return parseAddress(value);
  } catch (error) {
    if (!(error instanceof AddressError)) throw error;
    // AddressError repeats the value first; the loader already shows it.
    const reason = error.message.replace(/^"(?:[^"\\]|\\.)*"(?::\s*|\s+)/, '');
    if (reason.startsWith('is not an address')) {
      throw new InvalidValue(`expected SCHEME://HOST[:PORT] with SCHEME one of ${SCHEMES.join(', ')}`);
    }
    throw new InvalidValue(reason);
  }
}

/** A URL prefix for a mounted application: /segment[/segment…], not under one of `reserved`. */
export function mountPath(raw: RawValue, reserved: readonly string[]): string {
  let value = text(raw);
  if (value.length > 1 && value.endsWith('/')) value = value.slice(0, -1);
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(value) || value.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidValue('expected a URL path such as /socket.io (letters, digits, . _ ~ -; not /)');
  }
  const taken = reserved.find((path) => value === path || value.startsWith(`${path}/`));
  if (taken) throw new InvalidValue(`${taken} is the relay's own; choose another path`);
  return value;
}

/** A Redis URL (`redis://[user:pass@]host[:port][/db]`, `rediss://` for TLS), or null when empty. */
export function redisUrl(raw: RawValue): string | null {
  const value = optionalText(raw);
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidValue('expected redis://[user:password@]host[:port][/db] (rediss:// for TLS)');
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || !/^(\/\d*)?$/.test(url.pathname)) {
    throw new InvalidValue('expected redis://[user:password@]host[:port][/db] (rediss:// for TLS)');
  }
  return value;
}

/** A Redis broker URL (redis:// or rediss://, with a host), or null when empty: the memory engine. */
export function brokerUrl(raw: RawValue): string | null {
  const value = text(raw);
  if (value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidValue('is not a URL; use redis://[user:pass@]host:port[/db] or rediss://… for TLS, or leave it empty');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidValue(`has the scheme ${url.protocol}; the broker is redis://[user:pass@]host:port[/db] or rediss://… (TLS)`);
  }
  if (url.hostname === '') throw new InvalidValue('has no host; use redis://host:port');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new InvalidValue(`has the database "${db}"; a database is a number (redis://host:6379/0)`);
  return value;
}

/** The prefix of every Redis key and channel: 1 to 64 letters, digits and : _ . - */
export function keyPrefix(raw: RawValue): string {
  const value = text(raw);
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(value)) throw new InvalidValue('must be 1 to 64 letters, digits or : _ . - (e.g. websock:)');
  return value;
}
