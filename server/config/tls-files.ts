/**
 * Start-up check of the certificate and key a TLS address needs, so a wrong
 * path or a mismatched pair stops the relay with one line instead of a TLS
 * stack trace at the first connection.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, ConfigErrorCode } from './config-error.js';

export interface TlsFileRef {
  /** Where the key was set: the ini file's path or `command line`. */
  source: string;
  /** The key as written, e.g. `certFile`. */
  key: string;
  /** Resolved path. */
  path: string;
}

function describe(ref: TlsFileRef): string {
  return `${ref.key} = "${ref.path}"`;
}

function readPem(ref: TlsFileRef, what: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(ref.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError(
      ConfigErrorCode.UnreadableFile,
      `${ref.source}: ${describe(ref)}: cannot read the file (${code}); a TLS address needs a readable PEM ${what}`,
      ref.key,
    );
  }
  if (!content.includes('-----BEGIN')) {
    throw new ConfigError(
      ConfigErrorCode.InvalidValue,
      `${ref.source}: ${describe(ref)}: not a PEM file; expected a PEM ${what} (-----BEGIN ...)`,
      ref.key,
    );
  }
  return content;
}

/** Read both files and make sure they form a usable pair. */
export function checkTlsFiles(cert: TlsFileRef, key: TlsFileRef): void {
  const certPem = readPem(cert, 'certificate');
  const keyPem = readPem(key, 'private key');
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    const where =
      cert.source === key.source
        ? `${cert.source}: ${describe(cert)}, ${describe(key)}`
        : `${cert.source}: ${describe(cert)}, ${key.source}: ${describe(key)}`;
    throw new ConfigError(ConfigErrorCode.TlsIncomplete, `${where}: not a matching PEM certificate and private key (${reason})`, cert.key);
  }
}
