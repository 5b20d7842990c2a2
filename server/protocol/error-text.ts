import { ErrorCodes } from '../../include/protocol.js';

/** Text of an error code, for packets and logs. */
export function errorText(code: keyof typeof ErrorCodes, detail?: string): string {
  const base = ErrorCodes[code].text;
  return detail ? `${base}: ${detail}` : base;
}
