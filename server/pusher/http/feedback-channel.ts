/**
 * The bridge from the relay's own publishers to Pusher channels: a
 * `feedback` (from a v1 or v2 backend over WebSocket, or `POST /feedback`)
 * that names no `uuid` or `ident` but a `"channel"` is published to that
 * channel of a Pusher app, as the event `"event"` (default `feedback`).
 * The event's data is the packet's JSON without its routing fields, so a
 * PHP script's `{"message": …, "progress": …}` reaches an Echo page as
 * `e.message`, `e.progress`. Only trusted publishers get here (backends,
 * and the authenticated HTTP API): pages are refused by the publish policy.
 */
import { Outcome } from '../../../include/protocol.js';
import type { ChannelEvent, Channels } from '../../engine/channels.js';
import { RESULT } from '../../engine/publication.js';
import type { ChannelFeedback } from '../../routing/publish-feedback.js';
import type { PusherApp } from '../apps/pusher-app.js';
import type { PusherApps } from '../apps/pusher-apps.js';
import { isChannelName } from './event-request.js';

/** The event name of a channel feedback that gives none. */
export const DEFAULT_FEEDBACK_EVENT = 'feedback';

/** Fields that route the packet and are not part of the event's data. */
const ROUTING_FIELDS: ReadonlySet<string> = new Set(['opcode', 'channel', 'event', 'app', 'uuid', 'ident', 'seq', 'id']);

/** Why a channel feedback could not be published, in words for the publisher. */
export class ChannelFeedbackError extends Error {
  override readonly name = 'ChannelFeedbackError';
}

/** The app and event a channel feedback goes to; throws ChannelFeedbackError. */
export function channelEventOf(packet: { readonly [field: string]: unknown }, apps: PusherApps): { app: PusherApp; event: ChannelEvent } {
  const app = appOf(packet.app, apps);
  const channel = packet.channel;
  if (typeof channel !== 'string' || !isChannelName(channel, app.limits.maxNameLength)) {
    throw new ChannelFeedbackError(
      `"channel" must be a Pusher channel name (1 to ${app.limits.maxNameLength} of a-z A-Z 0-9 _ - = @ , . ;)`,
    );
  }
  const name = packet.event ?? DEFAULT_FEEDBACK_EVENT;
  if (typeof name !== 'string' || name === '' || name.length > app.limits.maxNameLength) {
    throw new ChannelFeedbackError(`"event" must be a non-empty string of at most ${app.limits.maxNameLength} characters`);
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(packet)) if (!ROUTING_FIELDS.has(key)) fields[key] = value;
  const data = JSON.stringify(fields);
  const bytes = Buffer.byteLength(data);
  if (bytes > app.limits.maxEventBytes) {
    throw new ChannelFeedbackError(`the event's data would be ${bytes} bytes; the app allows ${app.limits.maxEventBytes} (maxEventSize)`);
  }
  return { app, event: { event: name, channel, data } };
}

/** `"app"` names the app by id or section name; without it the only app is meant. */
function appOf(value: unknown, apps: PusherApps): PusherApp {
  if (value === undefined || value === null) {
    if (apps.size === 1) return apps.all().next().value!;
    throw new ChannelFeedbackError(
      apps.size === 0
        ? 'this relay has no Pusher apps (set pusherAppId, pusherKey, pusherSecret)'
        : 'several Pusher apps: name one with "app" (its id)',
    );
  }
  const id = typeof value === 'number' ? String(value) : value;
  const app = typeof id === 'string' ? (apps.byId(id) ?? [...apps.all()].find((candidate) => candidate.name === id)) : undefined;
  if (app === undefined) throw new ChannelFeedbackError('"app" is not the id of a Pusher app of this relay');
  return app;
}

export function channelFeedback(channels: Channels, apps: PusherApps): ChannelFeedback {
  return {
    check(packet) {
      try {
        channelEventOf(packet, apps);
        return null;
      } catch (error) {
        if (error instanceof ChannelFeedbackError) return error.message;
        throw error;
      }
    },
    async publish(packet) {
      let target: { app: PusherApp; event: ChannelEvent };
      try {
        target = channelEventOf(packet, apps);
      } catch (error) {
        if (error instanceof ChannelFeedbackError) return RESULT[Outcome.Unknown];
        throw error;
      }
      try {
        const { subscriptionCount } = await channels.channel(target.app.id, target.event.channel);
        await channels.publish(target.app.id, target.event, null);
        return subscriptionCount > 0 ? RESULT[Outcome.Delivered] : RESULT[Outcome.Unknown];
      } catch {
        return RESULT[Outcome.Failed];
      }
    },
  };
}
