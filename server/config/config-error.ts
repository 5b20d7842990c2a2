/**
 * Why start-up stopped. Each code is stable and listed in
 * docs/configuration.md; the message is always one line that names the key,
 * the value and what is allowed, so `websock serve` can print it as is.
 */
export const ConfigErrorCode = {
  /** A key has a value outside what it allows. */
  InvalidValue: 'CONFIG_INVALID_VALUE',
  /** A key no version of the relay knows (most often a typo). */
  UnknownKey: 'CONFIG_UNKNOWN_KEY',
  /** The ini file itself, or a file a key names, cannot be read. */
  UnreadableFile: 'CONFIG_UNREADABLE_FILE',
  /** A TLS address without a usable certificate and key. */
  TlsIncomplete: 'CONFIG_TLS_INCOMPLETE',
  /** A Redis broker without a configured secret: the nodes could not verify each other's uuids. */
  BrokerNeedsSecret: 'CONFIG_BROKER_NEEDS_SECRET',
  /** An app of the [apps] section could not start (its setup threw). */
  AppSetupFailed: 'CONFIG_APP_SETUP_FAILED',
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** A configuration that cannot be used; `message` is the one line to show. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    /** The offending key as the user wrote it, when there is one. */
    readonly key?: string,
  ) {
    super(message);
  }
}
