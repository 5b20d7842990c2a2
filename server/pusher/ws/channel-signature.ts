import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pusher's channel and user authorisation: `auth` is `<key>:<hex HMAC-SHA256
 * of the string to sign with the app secret>`. The strings to sign:
 * `socket_id:channel` (private), `socket_id:channel:channel_data`
 * (presence), `socket_id::user::user_data` (pusher:signin).
 */
export function stringToSign(socketId: string, channel: string, channelData: string | null): string {
  return channelData === null ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

export function userStringToSign(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/** The `auth` a client must present for `signed` (what the app's auth endpoint answers). */
export function authFor(key: string, secret: string, signed: string): string {
  return `${key}:${createHmac('sha256', secret).update(signed).digest('hex')}`;
}

/** Does `auth` sign `signed` for this app? Compared in constant time. */
export function verifyAuth(auth: string | null, key: string, secret: string, signed: string): boolean {
  if (auth === null) return false;
  const expected = Buffer.from(authFor(key, secret, signed));
  const given = Buffer.from(auth);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
