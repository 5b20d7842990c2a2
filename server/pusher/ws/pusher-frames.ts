import { PusherErrors, PusherEvent, type PusherErrorName } from '../../../include/pusher-protocol.js';
import type { ChannelEvent } from '../../engine/channels.js';

/**
 * The frames the relay writes to Pusher clients, encoded once here. Pure:
 * nothing here knows a socket. `data` of server events is a JSON *string*
 * where pusher-js expects one (connection_established, subscription_succeeded).
 */

export function connectionEstablished(socketId: string, activityTimeoutS: number): string {
  return JSON.stringify({
    event: PusherEvent.ConnectionEstablished,
    data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeoutS }),
  });
}

export const PONG_FRAME = JSON.stringify({ event: PusherEvent.Pong, data: {} });
export const PING_FRAME = JSON.stringify({ event: PusherEvent.Ping, data: {} });

/** `pusher:error` with Pusher's code; `detail` replaces the table's message (never client text unescaped: JSON-encoded). */
export function errorFrame(name: PusherErrorName, detail?: string): string {
  const { code, message } = PusherErrors[name];
  return codedErrorFrame(code, detail ?? message);
}

/** `pusher:error` with a code of the table's or an application's own (4000–4999), e.g. a preConnect refusal. */
export function codedErrorFrame(code: number, message: string): string {
  return JSON.stringify({ event: PusherEvent.Error, data: { code, message } });
}

/** `pusher_internal:subscription_succeeded`; on presence channels the members as pusher-js reads them. */
export function subscriptionSucceeded(channel: string, members: ReadonlyMap<string, string> | null): string {
  if (members === null) return JSON.stringify({ event: PusherEvent.SubscriptionSucceeded, channel, data: '{}' });
  const ids = JSON.stringify([...members.keys()]);
  // user_info is JSON text already (checked when the member subscribed): spliced, not parsed again.
  const hash = `{${[...members].map(([id, info]) => `${JSON.stringify(id)}:${info}`).join(',')}}`;
  const data = `{"presence":{"ids":${ids},"hash":${hash},"count":${members.size}}}`;
  return JSON.stringify({ event: PusherEvent.SubscriptionSucceeded, channel, data });
}

/** `pusher:subscription_error`, read by pusher-js (and Echo's `.error()`) on the channel. */
export function subscriptionError(channel: string, status: number, error: string): string {
  return JSON.stringify({ event: PusherEvent.SubscriptionError, channel, data: { type: 'AuthError', error, status } });
}

export function cacheMiss(channel: string): string {
  return JSON.stringify({ event: PusherEvent.CacheMiss, channel, data: '{}' });
}

export function signinSuccess(userData: string): string {
  return JSON.stringify({ event: PusherEvent.SigninSuccess, data: { user_data: userData } });
}

/** A channel event as written to subscribers. */
export function channelEventFrame(event: ChannelEvent): string {
  return JSON.stringify(event);
}
