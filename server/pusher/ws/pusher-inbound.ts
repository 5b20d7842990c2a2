import { CLIENT_EVENT_PREFIX, PusherEvent, USER_CHANNEL_PREFIX, type PusherErrorName } from '../../../include/pusher-protocol.js';

/** What a Pusher client may send, decoded and checked; anything else is `invalid`. */
export type PusherInbound =
  | { readonly kind: 'ping' }
  | { readonly kind: 'pong' }
  | { readonly kind: 'subscribe'; readonly channel: string; readonly auth: string | null; readonly channelData: string | null }
  | { readonly kind: 'unsubscribe'; readonly channel: string }
  | { readonly kind: 'signin'; readonly auth: string; readonly userData: string }
  | { readonly kind: 'client'; readonly event: string; readonly channel: string; readonly data: string }
  | { readonly kind: 'invalid'; readonly error: PusherErrorName; readonly detail: string };

export interface InboundLimits {
  /** Longest channel or event name (Pusher: 200). */
  readonly maxNameLength: number;
  /** Largest client event `data`, in bytes of its JSON text (Pusher: 10 KB). */
  readonly maxEventBytes: number;
}

/** Pusher's channel name characters; `#` (server-to-user channels) is the relay's own, never a client's. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]+$/;
/** Auth and channel_data/user_data are bounded before they are hashed or parsed. */
const MAX_AUTH_LENGTH = 512;
const MAX_SIGNED_DATA_BYTES = 16 * 1024;

function invalid(error: PusherErrorName, detail: string): PusherInbound {
  return { kind: 'invalid', error, detail };
}

/** Is `name` a channel name a client may subscribe to? (`#server-to-user-{id}` only when signed in as that user: the session checks.) */
export function isValidChannelName(name: string, maxLength: number): boolean {
  if (name.length === 0 || name.length > maxLength) return false;
  const bare = name.startsWith(USER_CHANNEL_PREFIX) ? name.slice(USER_CHANNEL_PREFIX.length) : name;
  return bare !== '' && CHANNEL_NAME.test(bare);
}

/**
 * Decode one text frame from a Pusher client. Every field is checked for
 * type and size before use: the frame is hostile until proven otherwise.
 * Pure: the limits are arguments, no socket is known.
 */
export function decodeInbound(text: string, limits: InboundLimits): PusherInbound {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return invalid('BAD_MESSAGE', 'the message is not valid JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
    return invalid('BAD_MESSAGE', 'the message must be a JSON object');
  const { event, data, channel } = frame as { event?: unknown; data?: unknown; channel?: unknown };
  if (typeof event !== 'string' || event === '') return invalid('BAD_MESSAGE', 'the message has no event name');
  if (event.length > limits.maxNameLength) return invalid('BAD_MESSAGE', 'the event name is too long');
  switch (event) {
    case PusherEvent.Ping:
      return { kind: 'ping' };
    case PusherEvent.Pong:
      return { kind: 'pong' };
    case PusherEvent.Subscribe:
    case PusherEvent.Unsubscribe: {
      const fields = objectData(data);
      if (fields === null) return invalid('BAD_MESSAGE', `${event} needs data with a channel`);
      const name = fields.channel;
      if (typeof name !== 'string' || !isValidChannelName(name, limits.maxNameLength))
        return invalid('BAD_CHANNEL', 'invalid channel name');
      if (event === PusherEvent.Unsubscribe) return { kind: 'unsubscribe', channel: name };
      const auth = optionalString(fields.auth, MAX_AUTH_LENGTH);
      const channelData = optionalString(fields.channel_data, MAX_SIGNED_DATA_BYTES);
      if (auth === undefined || channelData === undefined) return invalid('BAD_MESSAGE', 'auth or channel_data has the wrong type or size');
      return { kind: 'subscribe', channel: name, auth, channelData };
    }
    case PusherEvent.Signin: {
      const fields = objectData(data);
      const auth = optionalString(fields?.auth, MAX_AUTH_LENGTH);
      const userData = optionalString(fields?.user_data, MAX_SIGNED_DATA_BYTES);
      if (typeof auth !== 'string' || typeof userData !== 'string')
        return invalid('BAD_MESSAGE', 'pusher:signin needs auth and user_data strings');
      return { kind: 'signin', auth, userData };
    }
    default:
      break;
  }
  if (!event.startsWith(CLIENT_EVENT_PREFIX)) return invalid('BAD_MESSAGE', 'unknown event');
  if (typeof channel !== 'string' || !isValidChannelName(channel, limits.maxNameLength))
    return invalid('BAD_CHANNEL', 'invalid channel name');
  // pusher-js sends data as given: an object stays an object. Kept as JSON text, as received.
  const dataText = typeof data === 'string' ? data : JSON.stringify(data ?? null);
  if (Buffer.byteLength(dataText) > limits.maxEventBytes)
    return invalid('TOO_LARGE', `event data larger than ${limits.maxEventBytes} bytes`);
  return { kind: 'client', event, channel, data: dataText };
}

/** `data` as an object: pusher-js sends one; some clients send it JSON-encoded. */
function objectData(data: unknown): Record<string, unknown> | null {
  let value = data;
  if (typeof value === 'string' && value.length <= MAX_SIGNED_DATA_BYTES * 2) {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A string within `max`, null when absent; undefined when present but not that. */
function optionalString(value: unknown, max: number): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) return undefined;
  return value;
}
