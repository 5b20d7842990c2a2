/**
 * Every websock.ini key: its name as written in the file (camelCase, like
 * the original), the RelayConfig field it sets, and how its value is read.
 * docs/configuration.md and websock.ini document the same list; a test keeps
 * them in step.
 */
import { isAbsolute, resolve } from 'node:path';
import type { RelayConfig } from './relay-config.js';
import * as parse from './value-parsers.js';
import type { RawValue } from './value-parsers.js';

export interface KeyContext {
  /** Folder that relative paths resolve against: the ini file's, or the cwd for flags. */
  baseDir: string;
}

export interface KeySpec {
  /** The key as documented. */
  name: string;
  /** The ini section it lives in (`novosga` for `[novosga]`), or null for the top level / `[websocketserver]`. */
  section: string | null;
  /** Other accepted spellings (the original's `adress` has `address`). */
  aliases: readonly string[];
  field: keyof RelayConfig;
  /** Parse and store; throws InvalidValue. */
  apply(config: RelayConfig, raw: RawValue, context: KeyContext): void;
}

function key<F extends keyof RelayConfig>(
  name: string,
  field: F,
  read: (raw: RawValue, context: KeyContext) => RelayConfig[F],
  aliases: readonly string[] = [],
  section: string | null = null,
): KeySpec {
  return {
    name,
    section,
    aliases,
    field,
    apply(config, raw, context) {
      config[field] = read(raw, context);
    },
  };
}

/** A file path, or null when empty; relative paths are taken from the ini file's folder. */
function path(raw: RawValue, context: KeyContext): string | null {
  const value = parse.optionalText(raw);
  if (value === null) return null;
  return isAbsolute(value) ? value : resolve(context.baseDir, value);
}

const noLimit = { min: 0, note: '0 = no limit' };

export const NOVOSGA_SECTION = 'novosga';

/** Paths of the relay's own that a mounted application may not take. */
const RESERVED_PATHS = ['/web', '/php', '/feedback', '/health', '/metrics', '/demo', '/novosga', '/jobs', '/signals'];

export const CONFIG_KEYS: readonly KeySpec[] = [
  key('adress', 'address', (raw) => parse.address(raw), ['address']),
  key('logfile', 'logfile', path),
  key('console', 'console', (raw) => parse.bool(raw)),
  key('logLevel', 'logLevel', (raw) => parse.logLevel(raw)),
  key('logMaxSize', 'logMaxBytes', (raw) => parse.byteSize(raw, { min: 0, note: '0 = never rotate' })),
  key('logKeep', 'logKeep', (raw) => parse.wholeNumber(raw, { min: 0, note: 'rotated files to keep' })),
  key('certFile', 'certFile', path),
  key('pkFile', 'pkFile', path),
  key('secret', 'secret', (raw) => parse.optionalText(raw)),
  key('pingInterval', 'pingIntervalMs', (raw) => parse.seconds(raw, { positive: false, timer: true, note: '0 = no pings' })),
  key('allowedIP', 'allowedIP', (raw) => parse.ipList(raw, { allowSelf: true })),
  key('allowedOrigins', 'allowedOrigins', (raw) => parse.originList(raw)),
  key('trustedProxies', 'trustedProxies', (raw) => parse.ipList(raw, { allowSelf: false })),
  key('maxClients', 'maxClients', (raw) => parse.wholeNumber(raw, noLimit)),
  key('maxPerIP', 'maxPerIP', (raw) => parse.wholeNumber(raw, noLimit)),
  key('ipv6Prefix', 'ipv6PrefixBits', (raw) =>
    parse.wholeNumber(raw, { min: 1, max: 128, note: 'leading bits of an IPv6 address that are one client' }),
  ),
  key('handshakeRate', 'handshakeRate', (raw) => parse.wholeNumber(raw, { min: 0, note: 'handshakes per second per IP; 0 = no limit' })),
  key('handshakeBurst', 'handshakeBurst', (raw) => parse.wholeNumber(raw, { min: 1, note: 'handshakes at once per IP' })),
  key('maxHttpPerIP', 'maxHttpPerIP', (raw) => parse.wholeNumber(raw, noLimit)),
  key('maxMessageSize', 'maxMessageBytes', (raw) => parse.byteSize(raw, { min: 1024 })),
  key('maxChunks', 'maxChunks', (raw) => parse.wholeNumber(raw, { min: 1 })),
  key('handshakeTimeout', 'handshakeTimeoutMs', (raw) => parse.seconds(raw, { positive: true, timer: true })),
  key('maxHeaderSize', 'maxHeaderBytes', (raw) => parse.byteSize(raw, { min: 1024 })),
  key('backendReadyDelay', 'backendReadyDelayMs', (raw) =>
    parse.wholeNumber(raw, { min: 0, max: parse.MAX_TIMER_MS, note: 'milliseconds' }),
  ),
  key('backendFrameGap', 'backendFrameGapMs', (raw) => parse.wholeNumber(raw, { min: 0, max: parse.MAX_TIMER_MS, note: 'milliseconds' })),
  key('shutdownGrace', 'shutdownGraceMs', (raw) => parse.seconds(raw, { positive: false, timer: true })),
  key('retentionCount', 'retentionCount', (raw) => parse.wholeNumber(raw, { min: 0, note: '0 = keep nothing' })),
  key('retentionSize', 'retentionBytes', (raw) => parse.byteSize(raw, { min: 0, note: '0 = keep nothing' })),
  key('retentionAge', 'retentionAgeMs', (raw) => parse.seconds(raw, { positive: false, note: '0 = keep nothing' })),
  key('jobGrace', 'jobGraceMs', (raw) => parse.seconds(raw, { positive: false, timer: true })),
  key('retentionTotal', 'retentionTotalBytes', (raw) =>
    parse.byteSizeOrAuto(raw, { min: 0, note: 'auto = a quarter of the heap limit, 0 = no limit' }),
  ),
  key('maxSessionsPerIP', 'maxSessionsPerIP', (raw) => parse.wholeNumber(raw, noLimit)),
  key('messageTimeout', 'messageTimeoutMs', (raw) => parse.seconds(raw, { positive: true, timer: true })),
  key('inFlightTotal', 'inFlightTotalBytes', (raw) =>
    parse.byteSizeOrAuto(raw, { min: 0, note: 'auto = an eighth of the heap limit, 0 = no limit' }),
  ),
  key('broadcastBatch', 'broadcastBatchMs', (raw) =>
    parse.wholeNumber(raw, { min: 0, max: parse.MAX_TIMER_MS, note: 'milliseconds, 0 = off' }),
  ),
  key('maxMessageRate', 'maxMessageRate', (raw) => parse.wholeNumber(raw, noLimit)),
  key('maxBuffered', 'maxBufferedBytes', (raw) => parse.byteSize(raw, { min: 1024 })),
  key('stallTimeout', 'stallTimeoutMs', (raw) => parse.seconds(raw, { positive: true })),
  key('publishSecret', 'publishSecret', (raw) => parse.optionalText(raw)),
  key('publishRateLimit', 'publishRateLimit', (raw) =>
    parse.wholeNumber(raw, { min: 0, note: 'requests per second per IP; 0 = no limit' }),
  ),
  key('pageIdents', 'pageIdents', (raw) => parse.identList(raw)),
  key('pageBroadcast', 'pageBroadcast', (raw) => parse.bool(raw)),
  key('broker', 'broker', (raw) => parse.brokerUrl(raw)),
  key('brokerPrefix', 'brokerPrefix', (raw) => parse.keyPrefix(raw)),
  key('demo', 'demo', (raw) => parse.bool(raw)),
  key('http2', 'http2', (raw) => parse.boolOrAuto(raw)),
  key('demoAllowedIP', 'demoAllowedIP', (raw) => parse.ipList(raw, { allowSelf: true })),
  // [novosga]: the Novo SGA event server (socket.io) on the relay's port; see docs/novosga.md.
  key('enabled', 'novosgaEnabled', (raw) => parse.bool(raw), [], NOVOSGA_SECTION),
  key('secret', 'novosgaSecret', (raw) => parse.optionalText(raw), [], NOVOSGA_SECTION),
  key('secretFile', 'novosgaSecretFile', path, [], NOVOSGA_SECTION),
  key('path', 'novosgaPath', (raw) => parse.mountPath(raw, RESERVED_PATHS), [], NOVOSGA_SECTION),
  key('redis', 'novosgaRedis', (raw) => parse.redisUrl(raw), [], NOVOSGA_SECTION),
  // Pusher (issue 10): the top-level app; more apps and per-app settings in [pusher:NAME] (server/pusher/apps/).
  key('pusherAppId', 'pusherAppId', (raw) => parse.optionalText(raw)),
  key('pusherKey', 'pusherKey', (raw) => parse.optionalText(raw)),
  key('pusherSecret', 'pusherSecret', (raw) => parse.optionalText(raw)),
  key('pusherActivityTimeout', 'pusherActivityTimeoutS', (raw) =>
    parse.wholeNumber(raw, { min: 1, max: 3600, note: 'seconds of silence before a ping, sent to clients as activity_timeout' }),
  ),
  key('pusherPongTimeout', 'pusherPongTimeoutMs', (raw) => parse.seconds(raw, { positive: true, timer: true })),
];

const BY_NAME = new Map<string, KeySpec>();
for (const spec of CONFIG_KEYS) {
  for (const name of [spec.name, ...spec.aliases]) BY_NAME.set(lookupKey(spec.section, name), spec);
}

function lookupKey(section: string | null, name: string): string {
  return `${section ?? ''}/${name.trim().toLowerCase()}`;
}

/** The sections besides the top level that hold keys of ours. */
export const KEY_SECTIONS: ReadonlySet<string> = new Set(CONFIG_KEYS.flatMap((spec) => (spec.section ? [spec.section] : [])));

/** The spec for a key (in `section`, else at the top level); names match case-insensitively (PHP users write `maxclients` too). */
export function findKey(name: string, section: string | null = null): KeySpec | undefined {
  return BY_NAME.get(lookupKey(section, name));
}

/** The documented key closest to a misspelt one (in the same section), for "did you mean". */
export function suggestKey(name: string, section: string | null = null): string | undefined {
  const wanted = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const spec of CONFIG_KEYS) {
    if (spec.section !== section) continue;
    const distance = editDistance(wanted, spec.name.toLowerCase());
    if (!best || distance < best.distance) best = { name: spec.name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(wanted.length / 4)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
