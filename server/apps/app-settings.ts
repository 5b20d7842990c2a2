/**
 * Reads an app's `[app:NAME]` section: the relay's per-app key `maxIdle`
 * and the keys the app declares, each parsed like the relay's own keys.
 * Every failure is a ConfigError with one line that names the file, the
 * app and the key.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, ConfigErrorCode } from '../config/config-error.js';
import * as parse from '../config/value-parsers.js';
import { InvalidValue, type RawValue } from '../config/value-parsers.js';
import type { SettingSpec, SettingSpecs, SettingType } from './app.js';

/** Keys the relay itself reads in every app section. */
export const RELAY_APP_KEYS = ['maxIdle'] as const;

const TYPES: ReadonlySet<SettingType> = new Set(['text', 'path', 'bool', 'number', 'seconds', 'size', 'list']);

export interface SettingsSource {
  /** The ini file (or "embedding code"), for messages. */
  source: string;
  /** The app's key in [apps]. */
  app: string;
  /** Where relative paths start: the ini file's folder. */
  baseDir: string;
}

export interface AppSettings {
  /** Idle timeout for a mounted app's clients, ms; 0 = none. */
  maxIdleMs: number;
  /** The app's own keys, parsed. */
  values: Record<string, unknown>;
}

/**
 * Validate `raw` (the section's key/values) against the app's declared
 * specs. `defaultMaxIdle` (seconds) comes from the app; `mounted` says
 * whether maxIdle makes sense (a hooks-only app has no clients of its own).
 */
export function readAppSettings(
  where: SettingsSource,
  specs: SettingSpecs | undefined,
  raw: Record<string, RawValue>,
  app: { maxIdle?: number; mounted: boolean },
): AppSettings {
  const declared = new Map<string, [string, SettingSpec]>();
  for (const [key, spec] of Object.entries(specs ?? {})) {
    if (typeof spec !== 'object' || spec === null || !TYPES.has(spec.type)) {
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `app ${where.app}: its setting "${key}" has no valid type (one of ${[...TYPES].join(', ')}); fix the app module`,
        key,
      );
    }
    if (RELAY_APP_KEYS.some((own) => own.toLowerCase() === key.toLowerCase())) {
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `app ${where.app}: its setting "${key}" is a key the relay reads itself; rename it`,
        key,
      );
    }
    declared.set(key.toLowerCase(), [key, spec]);
  }

  let maxIdleMs = secondsDefault(app.maxIdle, where);
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.toLowerCase() === 'maxidle') {
      if (!app.mounted) {
        throw configError(
          where,
          key,
          value,
          'maxIdle applies to the clients of a mounted app; this app has no path (mount it with /PATH = FILE)',
        );
      }
      maxIdleMs = parseOne(where, key, value, { type: 'seconds' }) as number;
      continue;
    }
    const found = declared.get(key.toLowerCase());
    if (found === undefined) {
      const known = [...(app.mounted ? RELAY_APP_KEYS : []), ...[...declared.values()].map(([name]) => name)].join(', ') || 'no keys';
      throw new ConfigError(
        ConfigErrorCode.UnknownKey,
        `${where.source}: [app:${where.app}] unknown key "${key}" (this app reads: ${known})`,
        key,
      );
    }
    const [name, spec] = found;
    values[name] = parseOne(where, key, value, spec);
  }
  for (const [name, spec] of declared.values()) {
    if (name in values) continue;
    if (spec.default !== undefined) {
      values[name] = parseOne({ ...where, source: `app ${where.app}` }, `${name} (default)`, defaultText(spec.default), spec);
    } else if (spec.required === true) {
      const about = spec.doc ? ` (${spec.doc})` : '';
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `${where.source}: [app:${where.app}] ${name} is required${about} and not set`,
        name,
      );
    }
  }
  return { maxIdleMs, values };
}

function secondsDefault(seconds: number | undefined, where: SettingsSource): number {
  if (seconds === undefined) return 0;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `app ${where.app}: its maxIdle must be a number of seconds >= 0; fix the app module`,
      'maxIdle',
    );
  }
  return Math.round(seconds * 1000);
}

function defaultText(value: NonNullable<SettingSpec['default']>): RawValue {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

function parseOne(where: SettingsSource, key: string, raw: RawValue, spec: Pick<SettingSpec, 'type' | 'min'>): unknown {
  try {
    return parseValue(raw, spec, where.baseDir);
  } catch (error) {
    if (!(error instanceof InvalidValue)) throw error;
    throw configError(where, key, raw, error.message);
  }
}

function configError(where: SettingsSource, key: string, raw: RawValue, why: string): ConfigError {
  const shown = raw === null ? '' : String(raw);
  return new ConfigError(ConfigErrorCode.InvalidValue, `${where.source}: [app:${where.app}] ${key} = "${shown}": ${why}`, key);
}

function parseValue(raw: RawValue, spec: Pick<SettingSpec, 'type' | 'min'>, baseDir: string): unknown {
  const min = spec.min ?? 0;
  switch (spec.type) {
    case 'text': {
      const value = parse.optionalText(raw);
      if (value === null) throw new InvalidValue('expected a value');
      return value;
    }
    case 'path': {
      const value = parse.optionalText(raw);
      if (value === null) throw new InvalidValue('expected a file path (relative paths start at the ini file)');
      return isAbsolute(value) ? value : resolve(baseDir, value);
    }
    case 'bool':
      return parse.bool(raw);
    case 'number':
      return parse.wholeNumber(raw, { min });
    case 'seconds': {
      const ms = parse.seconds(raw, { positive: false, timer: true });
      if (ms < min * 1000) throw new InvalidValue(`expected a number of seconds >= ${min}`);
      return ms;
    }
    case 'size':
      return parse.byteSize(raw, { min });
    case 'list':
      return parse.list(raw);
  }
}
