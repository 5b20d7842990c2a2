import { CloseCode } from '../../include/protocol.js';

/** Codes an application may close with: the relay's own, and 4000–4999 (RFC 6455 7.4.2: private use). */
export function isApplicationCloseCode(code: unknown): code is number {
  if (typeof code !== 'number' || !Number.isInteger(code)) return false;
  if (code >= 4000 && code <= 4999) return true;
  return (Object.values(CloseCode) as number[]).includes(code);
}
