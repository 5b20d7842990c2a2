/**
 * The `[apps]` section of websock.ini: a key starting with `/` mounts the
 * app's resource at that path, any other key loads a hooks-only app; the
 * value is the module file, relative to the ini file. `[app:KEY]` sections
 * hold each app's keys. Everything is checked here, before the relay
 * listens; a problem is a ConfigError with one line naming the app and key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ini from 'ini';
import { ConfigError, ConfigErrorCode } from '../config/config-error.js';
import type { RawValue } from '../config/value-parsers.js';
import { isApp, type App } from './app.js';
import { readAppSettings, type AppSettings } from './app-settings.js';
import { APP_SECTION_PREFIX, APPS_SECTION, isAppSection } from './app-sections.js';

/** Paths the relay serves itself; an app mounted there would silently replace it. */
const RELAY_PATHS: ReadonlySet<string> = new Set(['/', '/web', '/php']);
const MOUNT_RE = /^\/[\w.~%!$&'()*+,;=:@/-]*$/;
const NAME_RE = /^[\w.-]+$/;

/** One line of [apps] with its [app:KEY] section, not yet loaded. */
export interface AppEntry {
  /** The key as written: `/chat` or `audit`. */
  key: string;
  /** The mount path, or null for a hooks-only app. */
  path: string | null;
  /** The module file as written, and resolved. */
  value: string;
  file: string;
  raw: Record<string, RawValue>;
}

/** An app ready to install: its module's default export and its validated settings. */
export interface LoadedApp {
  name: string;
  path: string | null;
  app: App;
  settings: AppSettings;
}

/** The [apps] lines of an ini file, checked for form (not loaded). */
export function readAppEntries(iniFile: string): AppEntry[] {
  let text: string;
  try {
    text = readFileSync(iniFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError(ConfigErrorCode.UnreadableFile, `cannot read the ini file "${iniFile}" (${code})`);
  }
  const parsed = ini.parse(text) as Record<string, unknown>;
  const baseDir = dirname(resolve(iniFile));
  const sections = new Map<string, Record<string, unknown>>();
  let apps: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!isAppSection(name) || !isObject(value)) continue;
    if (name.toLowerCase() === APPS_SECTION) apps = value;
    else sections.set(name.slice(APP_SECTION_PREFIX.length), value);
  }

  const entries: AppEntry[] = [];
  for (const [key, value] of Object.entries(apps)) {
    const where = `${iniFile}: [apps] ${key}`;
    if (isObject(value)) throw new ConfigError(ConfigErrorCode.InvalidValue, `${where}: expected a module file, got a nested value`, key);
    const mounted = key.startsWith('/');
    if (mounted && !MOUNT_RE.test(key)) {
      throw new ConfigError(ConfigErrorCode.InvalidValue, `${where}: "${key}" is not a request path (letters, digits and /._~-)`, key);
    }
    if (mounted && RELAY_PATHS.has(key)) {
      throw new ConfigError(ConfigErrorCode.InvalidValue, `${where}: ${key} is served by the relay itself; mount the app elsewhere`, key);
    }
    if (!mounted && !NAME_RE.test(key)) {
      throw new ConfigError(
        ConfigErrorCode.InvalidValue,
        `${where}: "${key}" is neither a path (/…) nor a name (letters, digits, _ . -)`,
        key,
      );
    }
    const written = typeof value === 'string' ? value.trim() : '';
    if (written === '') throw new ConfigError(ConfigErrorCode.InvalidValue, `${where} = "": expected the app's module file`, key);
    const raw = sections.get(key) ?? {};
    sections.delete(key);
    entries.push({
      key,
      path: mounted ? key : null,
      value: written,
      file: isAbsolute(written) ? written : resolve(baseDir, written),
      raw: scalars(iniFile, key, raw),
    });
  }
  for (const orphan of sections.keys()) {
    throw new ConfigError(ConfigErrorCode.InvalidValue, `${iniFile}: [app:${orphan}] has no line "${orphan} = FILE" in [apps]`, orphan);
  }
  return entries;
}

/** Read, import and validate every app of the ini file (none without one). */
export async function loadApps(iniFile: string | undefined): Promise<LoadedApp[]> {
  if (iniFile === undefined) return [];
  const loaded: LoadedApp[] = [];
  for (const entry of readAppEntries(iniFile)) loaded.push(await loadApp(iniFile, entry));
  return loaded;
}

async function loadApp(iniFile: string, entry: AppEntry): Promise<LoadedApp> {
  const where = `${iniFile}: [apps] ${entry.key} = "${entry.value}"`;
  if (!existsSync(entry.file)) {
    throw new ConfigError(
      ConfigErrorCode.UnreadableFile,
      `${where}: no such file (${entry.file}); paths start at the ini file's folder`,
      entry.key,
    );
  }
  let module: { default?: unknown };
  try {
    // The query gives each [apps] line its own instance of the module, so two lines with one file keep apart.
    module = (await import(`${pathToFileURL(entry.file).href}?app=${encodeURIComponent(entry.key)}`)) as { default?: unknown };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ConfigError(ConfigErrorCode.UnreadableFile, `${where}: cannot load the module: ${reason}`, entry.key);
  }
  const app = module.default;
  if (!isApp(app)) {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${where}: not an app; its default export must be an object with onMessage (a resource) and/or hooks`,
      entry.key,
    );
  }
  if (entry.path !== null && typeof app.onMessage !== 'function') {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${where}: has no onMessage, so nothing can be served at ${entry.path}; load it with a name instead`,
      entry.key,
    );
  }
  if (entry.path === null && (typeof app.hooks !== 'object' || app.hooks === null)) {
    throw new ConfigError(ConfigErrorCode.InvalidValue, `${where}: has no hooks; mount its resource with a key starting with /`, entry.key);
  }
  const settings = readAppSettings({ source: iniFile, app: entry.key, baseDir: dirname(resolve(iniFile)) }, app.settings, entry.raw, {
    maxIdle: app.maxIdle,
    mounted: entry.path !== null,
  });
  return { name: entry.key, path: entry.path, app, settings };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalars(iniFile: string, app: string, section: Record<string, unknown>): Record<string, RawValue> {
  const out: Record<string, RawValue> = {};
  for (const [key, value] of Object.entries(section)) {
    if (typeof value === 'string' || typeof value === 'boolean' || value === null) {
      out[key] = value;
      continue;
    }
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${iniFile}: [app:${app}] ${key} has a list or nested value; expected a single value (write lists as a,b,c)`,
      key,
    );
  }
  return out;
}
