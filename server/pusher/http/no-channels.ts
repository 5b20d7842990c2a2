import type { ChannelApiPort } from './channel-api-port.js';

/**
 * The channels of a relay without the Pusher WebSocket endpoint: it has no
 * Pusher subscribers, so every channel is empty, and that is what the API
 * answers (the page channels, `private-websock-page-{uuid}`, still reach
 * the relay's own pages). Replaced by the engine's channels once the
 * WebSocket side is installed.
 */
export const NO_CHANNELS: ChannelApiPort = {
  publish: () => Promise.resolve(),
  channels: () => Promise.resolve(new Map()),
  channel: () => Promise.resolve({ subscriptionCount: 0, userCount: 0 }),
  users: () => Promise.resolve([]),
  terminateUser: () => Promise.resolve(),
};
