import { TLS_TRUST_HINT, isTlsTrustFailure } from '../client-error.js';

const CLI_TLS_TRUST_HINT = ' (trust the relay’s certificate with --ca FILE, e.g. its certFile, or skip the check with --insecure)';

/** The line `websock send` / `listen` print for a failure: the library's, with hints in the CLI's own flags. */
export function failureText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return isTlsTrustFailure(error) ? message.replace(TLS_TRUST_HINT, CLI_TLS_TRUST_HINT) : message;
}
