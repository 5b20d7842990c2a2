/**
 * The [novosga] section's rules that involve more than one key: an enabled
 * event server needs a secret (the original's bin/server ran without one,
 * so any page could register as an attendant), given inline or as the file
 * Novo SGA keeps it in (var/websocket), not both.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ConfigErrorCode } from './config-error.js';
import type { RelayConfig } from './relay-config.js';

/** Where a field's value came from: the file (or `command line`) and the key as written. */
export interface FieldOrigin {
  source: string;
  key: string;
}

/** Longest secret file read: Novo SGA writes about 32 bytes. */
const MAX_SECRET_FILE_BYTES = 4096;

/**
 * Check the [novosga] keys together and read `secretFile` into `novosgaSecret`.
 * @throws ConfigError with a one-line message.
 */
export function checkNovosga(config: RelayConfig, originOf: (field: keyof RelayConfig) => FieldOrigin | undefined, fallback: string): void {
  if (!config.novosgaEnabled) return;
  const enabled = originOf('novosgaEnabled') ?? { source: fallback, key: '[novosga] enabled' };
  if (config.novosgaSecret !== null && config.novosgaSecretFile !== null) {
    const file = originOf('novosgaSecretFile') ?? enabled;
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${file.source}: ${file.key} = "${config.novosgaSecretFile}": set secret or secretFile in [novosga], not both`,
      file.key,
    );
  }
  if (config.novosgaSecretFile !== null) {
    const file = originOf('novosgaSecretFile') ?? enabled;
    config.novosgaSecret = readSecretFile(config.novosgaSecretFile, file);
    return;
  }
  if (config.novosgaSecret === null) {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${enabled.source}: ${enabled.key} = "true": the Novo SGA server needs secret or secretFile in [novosga] (its var/websocket file); without one anyone could register as an attendant`,
      enabled.key,
    );
  }
}

function readSecretFile(path: string, origin: FieldOrigin): string {
  const at = `${origin.source}: ${origin.key} = "${path}"`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError(ConfigErrorCode.UnreadableFile, `${at}: cannot read the file (${code})`, origin.key);
  }
  if (bytes.length > MAX_SECRET_FILE_BYTES) {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${at}: ${bytes.length} bytes is not a secret file (at most ${MAX_SECRET_FILE_BYTES})`,
      origin.key,
    );
  }
  // An editor's trailing newline must not become part of the secret (Novo SGA writes none).
  const secret = bytes.toString('utf8').trim();
  if (secret === '') throw new ConfigError(ConfigErrorCode.InvalidValue, `${at}: the file is empty`, origin.key);
  return secret;
}
