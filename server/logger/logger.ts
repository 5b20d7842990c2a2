import type { LogLevel } from '../config/relay-config.js';

/** Structured context attached to a log line (client id, ip, reason...). */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * Where the relay writes what happens. Lifecycle and errors at info and
 * above; payloads only at debug.
 */
export interface Logger {
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Flush and close files. */
  close(): Promise<void>;
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: Logger = {
  level: 'error',
  debug() {},
  info() {},
  warn() {},
  error() {},
  async close() {},
};
