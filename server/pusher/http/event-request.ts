/**
 * The bodies of `POST /apps/{id}/events` and `POST /apps/{id}/batch_events`,
 * checked against the app's limits. Pure: a body in, the events to publish
 * out, or a PusherHttpError (400 for a malformed body, 413 past a limit)
 * whose sentence names the field.
 */
import type { PusherLimits } from '../apps/pusher-app.js';
import { PusherHttpError } from './pusher-http-error.js';

/** The attributes `info=` may ask for about the channels an event went to. */
export type InfoAttribute = 'subscription_count' | 'user_count';

/** One event to publish on one or more channels. */
export interface EventRequest {
  readonly name: string;
  readonly data: string;
  readonly channels: readonly string[];
  /** The publisher's own connection, which does not get the event. */
  readonly socketId: string | null;
  readonly info: readonly InfoAttribute[];
}

/** Pusher's channel name alphabet; `#server-to-user-ID` is the channel of a signed-in user. */
const CHANNEL_RE = /^[-a-zA-Z0-9_=@,.;]+$/;
const USER_CHANNEL_PREFIX = '#server-to-user-';
const SOCKET_ID_RE = /^\d{1,20}\.\d{1,20}$/;
const INFO_ATTRIBUTES: ReadonlySet<string> = new Set(['subscription_count', 'user_count']);

/** Is this a channel name an HTTP event may go to? */
export function isChannelName(name: string, maxLength: number): boolean {
  if (name.length === 0 || name.length > maxLength) return false;
  if (name.startsWith(USER_CHANNEL_PREFIX)) return CHANNEL_RE.test(name.slice(USER_CHANNEL_PREFIX.length));
  return CHANNEL_RE.test(name);
}

/** Presence channels are the ones with members (and so a user_count). */
export function isPresenceChannel(name: string): boolean {
  return name.startsWith('presence-');
}

/**
 * The largest body the events endpoints read: a batch of the largest events
 * with room for JSON escaping (data is a JSON string inside JSON) and names.
 */
export function maxBodyBytes(limits: Readonly<PusherLimits>): number {
  const perEvent = limits.maxEventBytes * 2 + limits.maxChannelsPerEvent * (limits.maxNameLength + 3) + 1024;
  return Math.max(64 * 1024, perEvent * Math.max(1, limits.maxEventsPerBatch));
}

/** The `info` query parameter or body field: a comma list of attributes. */
export function parseInfo(value: unknown, where: string): InfoAttribute[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') throw bad(`${where} must be a comma-separated string`);
  const attributes: InfoAttribute[] = [];
  for (const item of value.split(',')) {
    const attribute = item.trim();
    if (!INFO_ATTRIBUTES.has(attribute)) throw bad(`${where}: "${clip(attribute)}" is not an attribute (subscription_count, user_count)`);
    if (!attributes.includes(attribute as InfoAttribute)) attributes.push(attribute as InfoAttribute);
  }
  return attributes;
}

/** The event of a `POST /events` body. */
export function parseEvent(body: unknown, limits: Readonly<PusherLimits>): EventRequest {
  return readEvent(body, limits, 'the body', true);
}

/** The events of a `POST /batch_events` body: `{"batch": [ {channel, name, data, socket_id?, info?}, … ]}`. */
export function parseBatch(body: unknown, limits: Readonly<PusherLimits>): EventRequest[] {
  if (!isObject(body) || !Array.isArray(body.batch)) throw bad('send {"batch": [ {"channel": …, "name": …, "data": …}, … ]}');
  const items = body.batch as unknown[];
  if (items.length > limits.maxEventsPerBatch) {
    throw new PusherHttpError('PUSHER_TOO_LARGE', `a batch may hold at most ${limits.maxEventsPerBatch} events (got ${items.length})`);
  }
  return items.map((item, index) => readEvent(item, limits, `batch[${index}]`, false));
}

function readEvent(value: unknown, limits: Readonly<PusherLimits>, where: string, manyChannels: boolean): EventRequest {
  if (!isObject(value)) throw bad(`${where} must be a JSON object`);
  const name = value.name;
  if (typeof name !== 'string' || name === '') throw bad(`${where}: "name" (the event name) must be a non-empty string`);
  if (name.length > limits.maxNameLength) throw tooLarge(`${where}: the event name is longer than ${limits.maxNameLength} characters`);
  const data = eventData(value.data, where);
  const bytes = Buffer.byteLength(data, 'utf8');
  if (bytes > limits.maxEventBytes)
    throw tooLarge(`${where}: "data" is ${bytes} bytes; an event may carry at most ${limits.maxEventBytes}`);
  const channels = eventChannels(value, limits, where, manyChannels);
  const socketId = value.socket_id;
  if (socketId !== undefined && socketId !== null && !(typeof socketId === 'string' && SOCKET_ID_RE.test(socketId))) {
    throw bad(`${where}: "socket_id" must be a socket id like "123.456"`);
  }
  return {
    name,
    data,
    channels,
    socketId: typeof socketId === 'string' ? socketId : null,
    info: parseInfo(value.info, `${where}: "info"`),
  };
}

/** Pusher's data is a string; a JSON value (some clients send objects) is forwarded as its JSON text. */
function eventData(data: unknown, where: string): string {
  if (typeof data === 'string') return data;
  if (data === undefined) throw bad(`${where}: "data" is missing`);
  return JSON.stringify(data);
}

function eventChannels(value: Record<string, unknown>, limits: Readonly<PusherLimits>, where: string, manyChannels: boolean): string[] {
  const { channel, channels } = value;
  let names: unknown[];
  if (manyChannels && channels !== undefined) {
    if (!Array.isArray(channels)) throw bad(`${where}: "channels" must be an array of channel names`);
    if (channel !== undefined) throw bad(`${where}: give "channels" or "channel", not both`);
    names = channels;
  } else if (channel !== undefined) {
    names = [channel];
  } else {
    throw bad(`${where}: name the ${manyChannels ? '"channels" (an array) or the "channel"' : '"channel"'}`);
  }
  if (names.length === 0) throw bad(`${where}: "channels" is empty`);
  if (names.length > limits.maxChannelsPerEvent) {
    throw tooLarge(`${where}: an event may go to at most ${limits.maxChannelsPerEvent} channels (got ${names.length})`);
  }
  const unique = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || !isChannelName(name, limits.maxNameLength)) {
      throw bad(
        `${where}: ${typeof name === 'string' ? `"${clip(name)}"` : 'a non-string'} is not a channel name (1 to ${limits.maxNameLength} of a-z A-Z 0-9 _ - = @ , . ;)`,
      );
    }
    unique.add(name);
  }
  return [...unique];
}

function bad(detail: string): PusherHttpError {
  return new PusherHttpError('PUSHER_BAD_REQUEST', detail);
}

function tooLarge(detail: string): PusherHttpError {
  return new PusherHttpError('PUSHER_TOO_LARGE', detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A client's string in an error sentence, never long enough to flood a log. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
