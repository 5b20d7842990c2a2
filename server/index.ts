/**
 * The library entry of websock-relay (`import { Relay, defineApp } from 'websock-relay'`):
 * embed the relay in a Node application, add apps and hooks. See docs/apps.md.
 * Only re-exports.
 */
export { Relay, type RelayOptions } from './relay.js';
export { defaultConfig, type RelayConfig, type LogLevel } from './config/relay-config.js';
export { loadConfig, type LoadConfigOptions, type ConfigOverrides } from './config/load-config.js';
export { ConfigError, ConfigErrorCode } from './config/config-error.js';
export { parseAddress, type RelayAddress } from '../include/address.js';
export { ClientOpcode, CloseCode, Outcome, ServerOpcode, SUBPROTOCOL_V2 } from '../include/protocol.js';
export { createLogger } from './logger/line-logger.js';
export { silentLogger, type Logger, type LogFields } from './logger/logger.js';
export type { InboundMessage, Resource, ResourceContext } from './resources/resource.js';
export type { Connection, ClientKind } from './transport/connection.js';
export {
  HOOK_NAMES,
  type HookConnection,
  type HookName,
  type Hooks,
  type MaybePromise,
  type Refusal,
  type Verdict,
} from './hooks/hook-types.js';
export { HookRegistry } from './hooks/hook-registry.js';
export {
  defineApp,
  type App,
  type AppContext,
  type AppSetup,
  type SettingSpec,
  type SettingSpecs,
  type SettingType,
  type Settings,
  type SettingValue,
} from './apps/app.js';
export { loadApps, readAppEntries, type AppEntry, type LoadedApp } from './apps/app-loader.js';
export { installApps, useApp, type UseAppOptions } from './apps/install-app.js';
