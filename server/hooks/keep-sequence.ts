import { withSequence } from '../protocol/sequence.js';

const SEQ_PREFIX = /^\{"seq":(\d+)/;

/**
 * A numbered message (`{"seq":N,…}`) that a preSend hook replaced keeps its
 * number: a page resumes by it, so a replacement without it (or with
 * another) would be replayed again or skipped. A replacement that is not a
 * JSON object cannot carry one and is left as it is.
 */
export function keepSequence(original: string, replacement: string): string {
  const match = SEQ_PREFIX.exec(original);
  if (match === null) return replacement;
  const seq = Number(match[1]);
  let packet: unknown;
  try {
    packet = JSON.parse(replacement);
  } catch {
    return replacement;
  }
  if (typeof packet !== 'object' || packet === null || Array.isArray(packet)) return replacement;
  const fields = packet as { [field: string]: unknown };
  if (fields.seq === seq) return replacement;
  return withSequence(replacement, fields, seq);
}
