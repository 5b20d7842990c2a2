import type { Broker } from '../engine/broker.js';
import { feedbackTarget, SETTLED, type PublishResult } from '../engine/publication.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { routingKey } from '../protocol/uuid-signer.js';

/**
 * Publish a feedback packet to the recipient it names (a non-empty Ident
 * wins over the uuid), from a WebSocket client or the HTTP API alike.
 */
export function publishFeedback(
  broker: Broker,
  stats: RelayStats,
  packet: { [field: string]: unknown },
  raw: Buffer | string,
): Promise<PublishResult> {
  const target = feedbackTarget(packet, routingKey);
  if (target === null) {
    stats.outcomes.unknown++;
    return SETTLED.unknown;
  }
  return broker.publish(target, { raw, packet });
}
