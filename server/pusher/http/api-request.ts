/**
 * The parts of a request to `/apps/{id}/…`: which endpoint, its path
 * arguments and its query. Pure; the path is split before decoding (the
 * signature is over the path as sent) and each segment decoded after.
 */
import type { PusherEndpoint } from '../apps/app-metrics.js';
import { PusherHttpError } from './pusher-http-error.js';

export const API_PREFIX = '/apps/';

/** Most query parameters read; Pusher's requests have at most seven. */
const MAX_PARAMS = 32;

export interface ApiRoute {
  readonly appId: string;
  readonly endpoint: Exclude<PusherEndpoint, 'unknown'>;
  /** The method the endpoint takes. */
  readonly method: 'GET' | 'POST';
  /** The channel of `channels/{name}` and `channels/{name}/users`. */
  readonly channel?: string;
  /** The user of `users/{id}/terminate_connections`. */
  readonly userId?: string;
}

/** The app id of a path under /apps/, whatever follows (for refusing unknown apps first); null when there is none. */
export function appIdOf(path: string): string | null {
  if (!path.startsWith(API_PREFIX)) return null;
  const rest = path.slice(API_PREFIX.length);
  const end = rest.indexOf('/');
  const id = decode(end === -1 ? rest : rest.slice(0, end));
  return id === '' ? null : id;
}

/** The route of a path under /apps/, or PUSHER_NOT_FOUND. */
export function routeOf(path: string): ApiRoute {
  const segments = path.slice(API_PREFIX.length).split('/').map(decode);
  const [appId = '', first, second, third, ...more] = segments;
  if (more.length === 0) {
    if (first === 'events' && second === undefined) return { appId, endpoint: 'events', method: 'POST' };
    if (first === 'batch_events' && second === undefined) return { appId, endpoint: 'batch_events', method: 'POST' };
    if (first === 'channels' && second === undefined) return { appId, endpoint: 'channels', method: 'GET' };
    if (first === 'channels' && second && third === undefined) return { appId, endpoint: 'channel', method: 'GET', channel: second };
    if (first === 'channels' && second && third === 'users') return { appId, endpoint: 'users', method: 'GET', channel: second };
    if (first === 'users' && second && third === 'terminate_connections') {
      return { appId, endpoint: 'terminate_connections', method: 'POST', userId: second };
    }
  }
  throw new PusherHttpError(
    'PUSHER_NOT_FOUND',
    'the endpoints are events, batch_events, channels, channels/{name}, channels/{name}/users and users/{id}/terminate_connections',
  );
}

/**
 * The query parameters, decoded as PHP's and Node's clients encode them.
 * A key given twice is refused: which one was signed would be a guess.
 */
export function queryParams(url: string): Record<string, string> {
  const at = url.indexOf('?');
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (at === -1) return params;
  let count = 0;
  for (const [key, value] of new URLSearchParams(url.slice(at + 1))) {
    if (++count > MAX_PARAMS) throw new PusherHttpError('PUSHER_BAD_REQUEST', `more than ${MAX_PARAMS} query parameters`);
    if (key in params) throw new PusherHttpError('PUSHER_BAD_REQUEST', `the query parameter "${key.slice(0, 40)}" is given twice`);
    params[key] = value;
  }
  return params;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new PusherHttpError('PUSHER_BAD_REQUEST', 'the path has a malformed %-escape');
  }
}
