import type { Broker } from '../engine/broker.js';
import { feedbackTarget, SETTLED, type PublishResult } from '../engine/publication.js';
import type { RelayStats } from '../metrics/relay-stats.js';
import { routingKey } from '../protocol/uuid-signer.js';

/**
 * Publishes a feedback that names a Pusher `"channel"` instead of a uuid or
 * Ident (implemented in pusher/http/feedback-channel.ts).
 */
export interface ChannelFeedback {
  /** Why this channel packet cannot be published (for the publisher), or null when it can. */
  check(packet: { readonly [field: string]: unknown }): string | null;
  /** `delivered` when the channel had subscribers, `unknown` when none (or refused), `failed` when the engine could not tell. */
  publish(packet: { readonly [field: string]: unknown }): Promise<PublishResult>;
}

/** Does the packet name a channel as its only recipient (no uuid, no Ident)? */
export function isChannelFeedback(packet: { readonly [field: string]: unknown }): boolean {
  const { channel, ident, uuid } = packet;
  return (
    typeof channel === 'string' &&
    channel !== '' &&
    !(typeof ident === 'string' && ident !== '') &&
    !(typeof uuid === 'string' && uuid !== '')
  );
}

/**
 * Publish a feedback packet to the recipient it names (a non-empty Ident
 * wins over the uuid, either wins over a Pusher channel), from a WebSocket
 * client or the HTTP API alike.
 */
export function publishFeedback(
  broker: Broker,
  stats: RelayStats,
  packet: { [field: string]: unknown },
  raw: Buffer | string,
  channels: ChannelFeedback | null = null,
): Promise<PublishResult> {
  const target = feedbackTarget(packet, routingKey);
  if (target === null) {
    if (channels !== null && isChannelFeedback(packet)) return channels.publish(packet);
    stats.outcomes.unknown++;
    return SETTLED.unknown;
  }
  return broker.publish(target, { raw, packet });
}
