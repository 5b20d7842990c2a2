/**
 * Builds the RelayConfig the relay runs with: embedded defaults, then
 * websock.ini, then command-line flags, each layer overriding the one
 * before. Every value is checked here, once, so a bad one stops start-up
 * with a ConfigError whose message is one line.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ini from 'ini';
import { ConfigError, ConfigErrorCode } from './config-error.js';
import { findKey, KEY_SECTIONS, suggestKey } from './config-keys.js';
import type { KeySpec } from './config-keys.js';
import { defaultConfig } from './relay-config.js';
import type { RelayConfig } from './relay-config.js';
import { checkNovosga } from './novosga-settings.js';
import { checkTlsFiles } from './tls-files.js';
import { isAppSection } from '../apps/app-sections.js';
import { isPusherSection, PUSHER_SECTION_PREFIX, readPusherApps } from '../pusher/apps/read-pusher-apps.js';
import { InvalidValue } from './value-parsers.js';
import type { RawValue } from './value-parsers.js';

/** What the command line may override; strings are checked like ini values. */
export interface ConfigOverrides {
  /** `--adress` / `--address`. */
  address?: string;
  logfile?: string;
  console?: boolean | string;
  logLevel?: string;
  /** `--broker URL`: the Redis engine. */
  broker?: string;
}

export interface LoadConfigOptions {
  /** websock.ini to read; none means defaults and flags only. */
  iniFile?: string;
  overrides?: ConfigOverrides;
  /** Where relative paths given on the command line start; default process.cwd(). */
  cwd?: string;
  /** Told about things that are odd but not fatal (ignored sections, a short secret). */
  onWarning?: (message: string) => void;
  /** Where REVERB_APP_ID/KEY/SECRET are read when pusherAppId/Key/Secret are not set; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The original's shared config.ini keeps the server keys in this section. */
const SERVER_SECTION = 'websocketserver';

const SOURCE_COMMAND_LINE = 'command line';

/** Flag names used in messages about command-line values. */
const OVERRIDE_KEYS: Record<keyof ConfigOverrides, { key: string; flag: string }> = {
  address: { key: 'adress', flag: '--adress' },
  logfile: { key: 'logfile', flag: '--logfile' },
  console: { key: 'console', flag: '--console' },
  logLevel: { key: 'logLevel', flag: '--log-level' },
  broker: { key: 'broker', flag: '--broker' },
};

/** Where a field got its value, for messages about combinations of keys. */
interface Origin {
  source: string;
  key: string;
}

/**
 * Load and validate the configuration.
 * @example loadConfig({ iniFile: 'websock.ini', overrides: { console: true } })
 * @throws ConfigError with a one-line message naming the key, value and what is allowed.
 */
export function loadConfig(options: LoadConfigOptions = {}): RelayConfig {
  const config = defaultConfig();
  const origins = new Map<keyof RelayConfig, Origin>();
  const warn = options.onWarning ?? (() => {});
  const pusherSections = new Map<string, Record<string, unknown>>();

  if (options.iniFile !== undefined) {
    const entries = readIniEntries(options.iniFile, warn, pusherSections);
    const baseDir = dirname(resolve(options.iniFile));
    const seen = new Map<keyof RelayConfig, string>();
    for (const { name, raw, section } of entries) {
      const spec = findKey(name, section);
      if (!spec) throw unknownKey(options.iniFile, name, section);
      const shown = section ? `[${section}] ${name}` : name;
      const earlier = seen.get(spec.field);
      if (earlier !== undefined) warn(`${options.iniFile}: ${shown} is set again (also as ${earlier}); the last one wins`);
      seen.set(spec.field, shown);
      applyValue(config, spec, raw, { source: options.iniFile, key: shown }, baseDir);
      origins.set(spec.field, { source: options.iniFile, key: shown });
    }
  }

  const cwd = options.cwd ?? process.cwd();
  for (const [field, value] of Object.entries(options.overrides ?? {}) as [keyof ConfigOverrides, unknown][]) {
    if (value === undefined) continue;
    const { key, flag } = OVERRIDE_KEYS[field];
    const spec = findKey(key)!;
    applyValue(config, spec, value as RawValue, { source: SOURCE_COMMAND_LINE, key: flag }, cwd);
    origins.set(spec.field, { source: SOURCE_COMMAND_LINE, key: flag });
  }

  checkCombination(config, origins, options.iniFile);
  if (config.broker !== null && config.secret === null) {
    const where = origins.get('broker') ?? { source: 'config', key: 'broker' };
    throw new ConfigError(
      ConfigErrorCode.BrokerNeedsSecret,
      `${where.source}: ${where.key} is a Redis broker, which needs a configured secret: every node must sign uuids with the same one (set secret = … in websock.ini)`,
      where.key,
    );
  }
  checkNovosga(config, (field) => origins.get(field), options.iniFile ?? 'defaults');
  config.pusherApps = readPusherApps({
    source: options.iniFile ?? 'defaults',
    top: config,
    sections: pusherSections,
    ...(options.env ? { env: options.env } : {}),
  });
  if (config.secret !== null && config.secret.length < 16) {
    const where = origins.get('secret');
    warn(`${where?.source ?? 'config'}: secret is shorter than 16 characters; uuids signed with it are easier to forge`);
  }
  return config;
}

interface IniEntry {
  name: string;
  raw: RawValue;
  /** Null for the top level and [websocketserver]; else one of KEY_SECTIONS. */
  section: string | null;
}

/**
 * The key/value pairs of the file: top level, the [websocketserver] section, and our own sections ([novosga]).
 * `[pusher:NAME]` sections are put in `pusherSections` (read by pusher/apps/read-pusher-apps.ts).
 */
function readIniEntries(file: string, warn: (message: string) => void, pusherSections: Map<string, Record<string, unknown>>): IniEntry[] {
  let textContent: string;
  try {
    textContent = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError(ConfigErrorCode.UnreadableFile, `cannot read the ini file "${file}" (${code})`);
  }
  const parsed = ini.parse(textContent) as Record<string, unknown>;
  const entries: IniEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (isSection(value)) {
      const lower = name.toLowerCase();
      const section = lower === SERVER_SECTION ? null : KEY_SECTIONS.has(lower) ? lower : undefined;
      if (section !== undefined) {
        for (const [inner, innerValue] of Object.entries(value))
          entries.push({ name: inner, raw: checkScalar(file, inner, innerValue), section });
      } else if (isPusherSection(name)) {
        pusherSections.set(name.slice(PUSHER_SECTION_PREFIX.length), value);
      } else if (isAppSection(name)) {
        // [apps] and [app:NAME]: read by apps/app-loader.ts.
      } else {
        const ours = [SERVER_SECTION, ...KEY_SECTIONS].map((known) => `[${known}]`).join(', ');
        warn(`${file}: section [${name}] ignored; the relay reads top-level keys and ${ours}`);
      }
      continue;
    }
    entries.push({ name, raw: checkScalar(file, name, value), section: null });
  }
  return entries;
}

function isSection(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkScalar(file: string, name: string, value: unknown): RawValue {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  // `key[] = a` lines make arrays; `a.b = 1` inside a section makes objects.
  throw new ConfigError(
    ConfigErrorCode.InvalidValue,
    `${file}: ${name} has a list or nested value; expected a single value (write lists as a,b,c)`,
    name,
  );
}

function unknownKey(file: string, name: string, section: string | null): ConfigError {
  const suggestion = suggestKey(name, section);
  const hint = suggestion ? `did you mean ${suggestion}?` : 'see docs/configuration.md for the keys';
  const where = section ? ` in [${section}]` : '';
  return new ConfigError(ConfigErrorCode.UnknownKey, `${file}: unknown key "${name}"${where} (${hint})`, name);
}

function applyValue(config: RelayConfig, spec: KeySpec, raw: RawValue, origin: Origin, baseDir: string): void {
  try {
    spec.apply(config, raw, { baseDir });
  } catch (error) {
    if (!(error instanceof InvalidValue)) throw error;
    const shown = raw === null ? '' : String(raw);
    throw new ConfigError(ConfigErrorCode.InvalidValue, `${origin.source}: ${assignment(origin, shown)}: ${error.message}`, origin.key);
  }
}

/** `key = "value"` as in the ini file, or `--flag "value"` as on the command line. */
function assignment(origin: Origin, value: string): string {
  return origin.source === SOURCE_COMMAND_LINE ? `${origin.key} "${value}"` : `${origin.key} = "${value}"`;
}

/** Checks that involve more than one key. */
function checkCombination(config: RelayConfig, origins: Map<keyof RelayConfig, Origin>, iniFile: string | undefined): void {
  if (!config.address.tls) return;
  const addressOrigin = origins.get('address') ?? { source: 'defaults', key: 'adress' };
  const fallbackSource = iniFile ?? 'defaults';
  const scheme = `${config.address.scheme}://`;
  if (config.certFile === null || config.pkFile === null) {
    const missing = [config.certFile === null ? 'certFile' : null, config.pkFile === null ? 'pkFile' : null].filter(Boolean).join(' and ');
    throw new ConfigError(
      ConfigErrorCode.TlsIncomplete,
      `${addressOrigin.source}: ${assignment(addressOrigin, scheme + hostPort(config))}: ${scheme} is TLS and needs certFile and pkFile (PEM files); ${missing} not set`,
      addressOrigin.key,
    );
  }
  const certOrigin = origins.get('certFile') ?? { source: fallbackSource, key: 'certFile' };
  const keyOrigin = origins.get('pkFile') ?? { source: fallbackSource, key: 'pkFile' };
  checkTlsFiles({ ...certOrigin, path: config.certFile }, { ...keyOrigin, path: config.pkFile });
}

function hostPort(config: RelayConfig): string {
  const host = config.address.host.includes(':') ? `[${config.address.host}]` : config.address.host;
  return `${host}:${config.address.port}`;
}
