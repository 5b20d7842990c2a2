/**
 * The app module format: an ES module whose default export is an app — a
 * resource served at a path (onOpen, onMessage, onClose) and/or hooks — with
 * the websock.ini keys it reads. A plain object is an app; `defineApp` only
 * adds types. See docs/apps.md.
 */
import type { Logger } from '../logger/logger.js';
import type { HookConnection, Hooks } from '../hooks/hook-types.js';
import type { Relay } from '../relay.js';
import type { InboundMessage, ResourceContext } from '../resources/resource.js';
import type { CloseCode } from '../../include/protocol.js';

/** How an app key's value is read (the same parsers as the relay's own keys). */
export type SettingType = 'text' | 'path' | 'bool' | 'number' | 'seconds' | 'size' | 'list';

/** One key an app reads from its `[app:NAME]` section. */
export interface SettingSpec {
  type: SettingType;
  /** Used when the key is not set (a number of seconds for `seconds`, bytes for `size`). */
  default?: string | number | boolean | readonly string[];
  /** Start-up fails when the key is missing and has no default. */
  required?: boolean;
  /** Smallest value for number, seconds (in seconds) and size. */
  min?: number;
  /** Said in the error message, e.g. "the HMAC secret of the session cookie". */
  doc?: string;
}

export type SettingSpecs = Record<string, SettingSpec>;

/** The value type of a setting: `seconds` come in milliseconds, `size` in bytes, `path` absolute. */
export type SettingValue<S extends SettingSpec> = S['type'] extends 'bool'
  ? boolean
  : S['type'] extends 'number' | 'seconds' | 'size'
    ? number
    : S['type'] extends 'list'
      ? string[]
      : string;

/** The validated settings an app's setup receives; keys without a value or default are undefined. */
export type Settings<S extends SettingSpecs> = {
  [K in keyof S]: S[K] extends { required: true } | { default: unknown } ? SettingValue<S[K]> : SettingValue<S[K]> | undefined;
};

/** What a resource of an app can do: the relay's ResourceContext plus the PHP server's helpers. */
export interface AppContext extends ResourceContext {
  /** The app's own connections (those on its path), in connection order. */
  readonly connections: ReadonlySet<HookConnection>;
  /** Send to one client (object → JSON); false when it is gone or not reading. */
  sendToUser(to: HookConnection, message: object | string | Buffer): boolean;
  /** Send to every client of this app; returns how many got it. */
  sendToAll(message: object | string | Buffer): number;
  /** Send to every client of this app but `except`; returns how many got it. */
  sendToAllBut(except: HookConnection, message: object | string | Buffer): number;
  /** Close a client (default 1000); preDisconnect hooks may keep it open. */
  close(conn: HookConnection, code?: CloseCode | number, reason?: string): void;
}

/** What an app's setup is given, once, before the relay listens. */
export interface AppSetup<S extends SettingSpecs = SettingSpecs> {
  /** The key in [apps]: the path for a mounted app, the name for a hooks-only one. */
  name: string;
  /** Where the resource is mounted, or null for a hooks-only app. */
  path: string | null;
  settings: Settings<S>;
  logger: Logger;
  relay: Relay;
}

export interface App<Data = unknown, S extends SettingSpecs = SettingSpecs> {
  /** The keys this app reads from its `[app:NAME]` section, validated at start-up. */
  settings?: S;
  /** Default idle timeout in seconds for clients of a mounted app (the `maxIdle` key overrides it); 0 = none. */
  maxIdle?: number;
  /** Runs once before the relay listens, with the validated settings; a throw stops start-up. */
  setup?(init: AppSetup<S>): void | Promise<void>;
  onOpen?(conn: HookConnection<Data>, ctx: AppContext): void;
  onMessage?(conn: HookConnection<Data>, message: InboundMessage, ctx: AppContext): void;
  onClose?(conn: HookConnection<Data>, code: number, ctx: AppContext): void;
  onError?(conn: HookConnection<Data>, error: Error, ctx: AppContext): void;
  hooks?: Hooks<Data>;
}

/**
 * Types an app; returns it unchanged (a plain object works just as well).
 *
 * @example
 * export default defineApp({
 *   maxIdle: 600,
 *   onMessage(conn, { raw }, ctx) {
 *     ctx.sendToAllBut(conn, raw);
 *   },
 * });
 */
export function defineApp<Data = unknown, S extends SettingSpecs = SettingSpecs>(app: App<Data, S>): App<Data, S> {
  return app;
}

/** Does this look like an app (an object with a resource handler or hooks)? */
export function isApp(value: unknown): value is App {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const app = value as Record<string, unknown>;
  return typeof app.onMessage === 'function' || (typeof app.hooks === 'object' && app.hooks !== null);
}
