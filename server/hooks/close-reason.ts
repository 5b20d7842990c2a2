import { CloseCode } from '../../include/protocol.js';

/** The reason of a close frame is at most 123 bytes (RFC 6455 5.5). */
const CLOSE_REASON_MAX_BYTES = 123;

/** Cut `reason` to what a close frame holds, on a character boundary (ws refuses longer ones). */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= CLOSE_REASON_MAX_BYTES) return reason;
  let cut = '';
  let bytes = 0;
  for (const char of reason) {
    bytes += Buffer.byteLength(char);
    if (bytes > CLOSE_REASON_MAX_BYTES) break;
    cut += char;
  }
  return cut;
}

/** Codes an application may close with: the relay's own, and 4000–4999 (RFC 6455 7.4.2: private use). */
export function isApplicationCloseCode(code: unknown): code is number {
  if (typeof code !== 'number' || !Number.isInteger(code)) return false;
  if (code >= 4000 && code <= 4999) return true;
  return (Object.values(CloseCode) as number[]).includes(code);
}
