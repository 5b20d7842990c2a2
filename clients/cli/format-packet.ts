import type { ReceivedPacket } from '../packets.js';

/**
 * The line `websock listen` prints for a packet: its message as text (JSON
 * when it is not a string), or the whole packet when it has no message.
 */
export function formatPacket(packet: ReceivedPacket, json: boolean): string {
  if (json) return JSON.stringify(packet);
  const message = packet.message;
  if (typeof message === 'string') return message;
  if (message !== undefined) return JSON.stringify(message);
  return JSON.stringify(packet);
}
