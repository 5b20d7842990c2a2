import type { Channels } from '../../engine/channels.js';
import type { ChannelApiPort } from './channel-api-port.js';

/**
 * The HTTP API's view of the engine's channels (the `app` they are scoped
 * by is the app's id). The guarantees are the engine's: cluster-wide
 * answers, and `publish` resolving once every node with a subscriber has it.
 */
export function channelsPort(channels: Channels): ChannelApiPort {
  return {
    publish: (app, _channel, event, except) => channels.publish(app, event, except),
    channels: (app, prefix) => channels.channels(app, prefix),
    channel: (app, channel) => channels.channel(app, channel),
    users: (app, channel) => channels.users(app, channel),
    terminateUser: (app, userId) => channels.terminateUser(app, userId),
  };
}
