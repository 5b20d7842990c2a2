import { createHmac } from 'node:crypto';

/** The `auth` of a private channel subscription, signed as an app's auth endpoint would (`data` is connection_established's). */
export function channelAuth(app: { key: string; secret: string }, establishedData: string, channel: string): string {
  const { socket_id: socketId } = JSON.parse(establishedData) as { socket_id: string };
  return `${app.key}:${createHmac('sha256', app.secret).update(`${socketId}:${channel}`).digest('hex')}`;
}
