import type { ChannelLifecycle, Channels } from '../../engine/channels.js';
import type { PusherApps } from '../apps/pusher-apps.js';
import type { WebhookEvent } from './webhook-event.js';
import type { WebhookSender } from './webhook-sender.js';

/**
 * Turn the engine's channel lifecycle into webhook events of the app it
 * happened in. The engine reports each once per cluster, on one node, so
 * each webhook is sent once however many nodes there are. Apps without
 * webhooks cost one lookup per event.
 * @returns the function that stops listening.
 */
export function sendLifecycleWebhooks(channels: Channels, apps: PusherApps, sender: WebhookSender): () => void {
  const emit = (appId: string, event: WebhookEvent): void => {
    const app = apps.byId(appId);
    if (app !== undefined && app.webhooks.length > 0) sender.emit(app, event);
  };
  const listener: ChannelLifecycle = {
    channelOccupied: (app, channel) => emit(app, { name: 'channel_occupied', channel }),
    channelVacated: (app, channel) => emit(app, { name: 'channel_vacated', channel }),
    memberAdded: (app, channel, userId) => emit(app, { name: 'member_added', channel, user_id: userId }),
    memberRemoved: (app, channel, userId) => emit(app, { name: 'member_removed', channel, user_id: userId }),
    clientEvent: (app, channel, event, data, socketId, userId) =>
      emit(app, { name: 'client_event', channel, event, data, socket_id: socketId, ...(userId !== null ? { user_id: userId } : {}) }),
    cacheMiss: (app, channel) => emit(app, { name: 'cache_miss', channel }),
  };
  return channels.listen(listener);
}
