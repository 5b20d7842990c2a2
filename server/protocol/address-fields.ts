import { ADDRESS_FIELDS, MAX_ADDRESS_FIELD_LENGTH } from '../../include/protocol.js';

/**
 * Why a packet's routing fields make it a BAD_PACKET, or null when they are
 * fine: one rule for every message size, applied to the values as JSON.parse
 * gives them (the large-message scanner reads these fields whole for that).
 */
export function addressFieldProblem(packet: { [field: string]: unknown }): { field: string; text: string } | null {
  for (const field of ADDRESS_FIELDS) {
    const value = packet[field];
    if (value === undefined) continue;
    if (lengthOf(value) > MAX_ADDRESS_FIELD_LENGTH)
      return { field, text: `${field} is longer than ${MAX_ADDRESS_FIELD_LENGTH} characters` };
  }
  return null;
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value).length;
  return String(value).length;
}
