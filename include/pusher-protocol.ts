/**
 * The Pusher Channels protocol (version 7) as the relay speaks it at
 * `/app/{key}`: event names and the error/close codes pusher-js acts on.
 * pusher-js reads a close code's range: 4000-4099 do not reconnect,
 * 4100-4199 reconnect after a back-off, 4200-4299 reconnect at once, and
 * 4300-4399 are errors the connection survives.
 */

/** The newest protocol version spoken; older clients (5, 6) read the same frames. */
export const PUSHER_PROTOCOL = 7;
export const PUSHER_MIN_PROTOCOL = 5;

export const PusherEvent = {
  ConnectionEstablished: 'pusher:connection_established',
  Error: 'pusher:error',
  Ping: 'pusher:ping',
  Pong: 'pusher:pong',
  Subscribe: 'pusher:subscribe',
  Unsubscribe: 'pusher:unsubscribe',
  Signin: 'pusher:signin',
  SigninSuccess: 'pusher:signin_success',
  CacheMiss: 'pusher:cache_miss',
  SubscriptionError: 'pusher:subscription_error',
  SubscriptionSucceeded: 'pusher_internal:subscription_succeeded',
  MemberAdded: 'pusher_internal:member_added',
  MemberRemoved: 'pusher_internal:member_removed',
} as const;

/** The prefix of events a client may send to the other members of a private or presence channel. */
export const CLIENT_EVENT_PREFIX = 'client-';

/** The channel a signed-in user's server events go to (`#server-to-user-{id}`). */
export const USER_CHANNEL_PREFIX = '#server-to-user-';

/**
 * Pusher's codes, each with the close it implies (null: the connection stays
 * open) and the message sent in `pusher:error`.
 */
export const PusherErrors = {
  UNKNOWN_APP: { code: 4001, close: true, message: 'App key not in this relay' },
  NO_PROTOCOL: { code: 4008, close: true, message: 'No protocol version supplied' },
  BAD_PROTOCOL: { code: 4007, close: true, message: 'Unsupported protocol version' },
  ORIGIN: { code: 4009, close: true, message: 'Origin not allowed' },
  // An application's preConnect refused (server/pusher/ws/app-refusal.ts): pusher-js gives up, as for a bad origin.
  REFUSED_BY_APP: { code: 4009, close: true, message: 'refused by the application' },
  // An application's preConnect failed or did not answer in time: pusher-js tries again after its back-off.
  APP_FAILED: { code: 4100, close: true, message: 'the application could not admit the connection' },
  UNAUTHORIZED: { code: 4009, close: false, message: 'Invalid signature' },
  OVER_CAPACITY: { code: 4100, close: true, message: 'Over capacity' },
  SHUTTING_DOWN: { code: 4200, close: true, message: 'Server shutting down: reconnect' },
  PONG_TIMEOUT: { code: 4201, close: true, message: 'Pong reply not received' },
  RATE_LIMITED: { code: 4301, close: false, message: 'Client event rejected due to rate limit' },
  // Pusher's generic "any other error" (4300), each with its own message.
  BAD_MESSAGE: { code: 4300, close: false, message: 'Invalid message' },
  CLIENT_EVENT_REFUSED: {
    code: 4300,
    close: false,
    message: 'Client events are only accepted on private and presence channels the connection is subscribed to',
  },
  TOO_LARGE: { code: 4300, close: false, message: 'Event data too large' },
  BAD_CHANNEL: { code: 4300, close: false, message: 'Invalid channel name' },
  TOO_MANY_CHANNELS: { code: 4300, close: false, message: 'Too many channels on this connection' },
  PRESENCE_FULL: { code: 4300, close: false, message: 'Presence channel is full' },
  ENGINE_FAILED: { code: 4300, close: false, message: 'The relay could not reach its engine; try again' },
} as const satisfies Record<string, { code: number; close: boolean; message: string }>;
export type PusherErrorName = keyof typeof PusherErrors;
