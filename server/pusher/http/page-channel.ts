/**
 * The bridge from the Pusher HTTP API to the relay's own pages: the channel
 * `private-websock-page-{uuid}` is the page that got `{uuid}` in its
 * `ready` (signed or bare, v1 or v2). An event published there reaches that
 * page as a `feedback` packet through the same publish path as `POST
 * /feedback`, so a Laravel job broadcasting on it reports progress to a
 * page of the relay's protocol, on whichever node holds it (and is kept
 * for a v2 page that is away, to be replayed on resume).
 */
import { Outcome } from '../../../include/protocol.js';
import type { Broker } from '../../engine/broker.js';
import type { RelayStats } from '../../metrics/relay-stats.js';
import { publishFeedback } from '../../routing/publish-feedback.js';
import type { PusherEvent } from './channel-api-port.js';

export const PAGE_CHANNEL_PREFIX = 'private-websock-page-';

/** The uuid a page channel names, or null for any other channel. */
export function pageUuidOf(channel: string): string | null {
  if (!channel.startsWith(PAGE_CHANNEL_PREFIX)) return null;
  const uuid = channel.slice(PAGE_CHANNEL_PREFIX.length);
  return uuid === '' ? null : uuid;
}

/** Delivers Pusher events to pages; resolves what became of each. */
export interface PageBridge {
  publish(uuid: string, event: PusherEvent): Promise<Outcome>;
}

/**
 * The feedback packet a page gets: `message` is the event's data, parsed
 * when it is JSON (Pusher data usually is), and `event` and `channel` say
 * where it came from.
 */
export function pagePacket(uuid: string, event: PusherEvent): { [field: string]: unknown } {
  let message: unknown = event.data;
  try {
    message = JSON.parse(event.data) as unknown;
  } catch {
    // Not JSON: the page gets the string as it was published.
  }
  return { opcode: 'feedback', uuid, event: event.event, channel: event.channel, message };
}

export function pageBridge(broker: Broker, stats: RelayStats): PageBridge {
  return {
    async publish(uuid, event) {
      let packet = pagePacket(uuid, event);
      let raw: string;
      try {
        raw = JSON.stringify(packet);
      } catch {
        // Parsed data nested too deeply to write back: forward the text as published.
        packet = { ...packet, message: event.data };
        raw = JSON.stringify(packet);
      }
      const { outcome } = await publishFeedback(broker, stats, packet, raw);
      return outcome;
    },
  };
}

/** A page channel counts one subscriber while its page is there (or away but resumable). */
export function pageSubscriptions(outcome: Outcome): number {
  return outcome === Outcome.Delivered || outcome === Outcome.Held ? 1 : 0;
}
