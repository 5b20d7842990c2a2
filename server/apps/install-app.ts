import { ConfigError, ConfigErrorCode } from '../config/config-error.js';
import type { RawValue } from '../config/value-parsers.js';
import type { Relay } from '../relay.js';
import { isApp, type App, type AppSetup, type SettingSpecs } from './app.js';
import type { LoadedApp } from './app-loader.js';
import { AppResource } from './app-resource.js';
import { readAppSettings } from './app-settings.js';

/**
 * Set the loaded apps up (each app's setup, in order) and wire them into
 * the relay: a mounted app's resource at its path, its hooks limited to
 * that path; a hooks-only app's hooks for every connection. Call before
 * relay.start(). A failing setup is a ConfigError (start-up stops).
 */
export async function installApps(relay: Relay, apps: readonly LoadedApp[]): Promise<void> {
  for (const loaded of apps) await installApp(relay, loaded);
}

async function installApp(relay: Relay, { name, path, app, settings }: LoadedApp): Promise<void> {
  if (app.setup) {
    const init: AppSetup = { name, path, settings: settings.values as AppSetup['settings'], logger: relay.logger, relay };
    try {
      await app.setup(init);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new ConfigError(ConfigErrorCode.AppSetupFailed, `app ${name}: setup failed: ${reason}`, name);
    }
  }
  if (path !== null) {
    const resource = new AppResource(app, name, relay.logger, settings.maxIdleMs);
    relay.registerResource(path, resource);
    relay.onStop(() => resource.stop());
  }
  if (app.hooks) {
    try {
      relay.hooks.add(app.hooks as never, { name, scope: path });
    } catch (error) {
      throw new ConfigError(ConfigErrorCode.InvalidValue, (error as Error).message, name);
    }
  }
}

export interface UseAppOptions {
  /** Mount the app's resource here; without it only its hooks are used, for every path. */
  path?: string;
  /** Its name in logs; default the path, else "app". */
  name?: string;
  /** Values for the app's keys and `maxIdle` (seconds), as they would be written in websock.ini. */
  settings?: Record<string, string | number | boolean | readonly string[]>;
  /** Where relative `path` settings start; default the current folder. */
  baseDir?: string;
}

/**
 * Add an app to a relay you embed, as an `[apps]` line would (settings
 * validated the same way). Call before relay.start().
 *
 * @example
 * const relay = new Relay({ ...defaultConfig(), demo: false });
 * await useApp(relay, chat, { path: '/chat', settings: { maxIdle: 300 } });
 * await relay.start();
 */
export async function useApp<Data, S extends SettingSpecs>(relay: Relay, app: App<Data, S>, options: UseAppOptions = {}): Promise<void> {
  const path = options.path ?? null;
  const name = options.name ?? path ?? 'app';
  if (!isApp(app)) throw new TypeError(`${name}: not an app; it needs onMessage (a resource) and/or hooks`);
  if (path !== null && typeof app.onMessage !== 'function')
    throw new TypeError(`${name}: has no onMessage, so nothing can be served at ${path}`);
  const raw: Record<string, RawValue> = {};
  for (const [key, value] of Object.entries(options.settings ?? {})) raw[key] = Array.isArray(value) ? value.join(',') : String(value);
  const settings = readAppSettings({ source: 'useApp', app: name, baseDir: options.baseDir ?? process.cwd() }, app.settings, raw, {
    maxIdle: app.maxIdle,
    mounted: path !== null,
  });
  await installApp(relay, { name, path, app: app as unknown as App, settings });
}
