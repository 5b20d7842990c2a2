import { CLIENT_EVENT_PREFIX, USER_CHANNEL_PREFIX, type PusherErrorName } from '../../../include/pusher-protocol.js';
import type { Delivery } from '../../delivery/delivery.js';
import { isCacheChannel, isPresenceChannel, type Channels } from '../../engine/channels.js';
import type { Logger } from '../../logger/logger.js';
import { stringToSign, userStringToSign, verifyAuth } from './channel-signature.js';
import {
  PONG_FRAME,
  cacheMiss,
  channelEventFrame,
  errorFrame,
  signinSuccess,
  subscriptionError,
  subscriptionSucceeded,
} from './pusher-frames.js';
import type { PusherInbound } from './pusher-inbound.js';
import type { PusherClient } from './pusher-client.js';
import type { LocalSubscriptions } from './local-subscriptions.js';

/** Channels one connection may be subscribed to at once (Pusher sets none; a bound keeps memory bounded). */
export const MAX_CHANNELS_PER_CONNECTION = 100;
/** Longest presence user_id and signed-in user id. */
const MAX_USER_ID_LENGTH = 128;

/** A private channel needs a signature; a presence channel a signed channel_data. */
function needsAuth(channel: string): boolean {
  return channel.startsWith('private-') || isPresenceChannel(channel);
}

/** Client events go to private and presence channels, never encrypted ones (the relay cannot read them). */
function acceptsClientEvents(channel: string): boolean {
  return needsAuth(channel) && !channel.startsWith('private-encrypted-');
}

/**
 * What one Pusher connection does with the frames it sends: subscribe and
 * unsubscribe (checking signatures), sign in, answer pings, and relay client
 * events. Frames are handled one after the other (a subscribe that waits for
 * Redis is not overtaken by the client event that follows it). It knows the
 * connection only through its PusherClient and writes only through the Delivery.
 */
export class PusherSession {
  readonly #client: PusherClient;
  readonly #channels: Channels;
  readonly #local: LocalSubscriptions;
  readonly #delivery: Delivery;
  readonly #logger: Logger;
  #closed = false;

  constructor(client: PusherClient, channels: Channels, local: LocalSubscriptions, delivery: Delivery, logger: Logger) {
    this.#client = client;
    this.#channels = channels;
    this.#local = local;
    this.#delivery = delivery;
    this.#logger = logger;
  }

  handle(frame: PusherInbound): void {
    switch (frame.kind) {
      case 'ping':
        this.#reply(PONG_FRAME);
        return;
      case 'pong':
        return;
      case 'invalid':
        this.#error(frame.error, frame.detail);
        return;
      case 'subscribe':
        this.#client.enqueue(() => this.#subscribe(frame.channel, frame.auth, frame.channelData));
        return;
      case 'unsubscribe':
        this.#client.enqueue(() => this.#unsubscribe(frame.channel));
        return;
      case 'signin':
        this.#client.enqueue(() => this.#signin(frame.auth, frame.userData));
        return;
      case 'client':
        this.#client.enqueue(() => this.#clientEvent(frame.event, frame.channel, frame.data));
        return;
    }
  }

  /** The socket closed: leave every channel (after whatever is still queued). */
  closed(): void {
    this.#closed = true;
    const client = this.#client;
    client.enqueue(async () => {
      const channels = [...client.channels.keys()];
      this.#local.removeClient(client);
      client.channels.clear();
      await Promise.all(channels.map((channel) => this.#channels.unsubscribe(client.app.id, channel, client.socketId).catch(() => {})));
    });
  }

  async #subscribe(channel: string, auth: string | null, channelData: string | null): Promise<void> {
    const client = this.#client;
    if (this.#closed) return;
    if (client.channels.has(channel)) return;
    if (client.channels.size >= MAX_CHANNELS_PER_CONNECTION) {
      this.#error('TOO_MANY_CHANNELS');
      return;
    }
    const { app, socketId } = client;
    let userId: string | null = null;
    let userInfo: string | null = null;
    if (channel.startsWith(USER_CHANNEL_PREFIX)) {
      // pusher-js subscribes to its user's channel after pusher:signin_success; nobody else may.
      if (client.user === null || channel !== USER_CHANNEL_PREFIX + client.user.id) {
        this.#reply(subscriptionError(channel, 403, 'sign in as this user first'));
        return;
      }
    } else if (needsAuth(channel)) {
      const presence = isPresenceChannel(channel);
      const signed = stringToSign(socketId, channel, presence ? channelData : null);
      if (!verifyAuth(auth, app.key, app.secret, signed)) {
        this.#reply(subscriptionError(channel, 401, `Invalid signature for ${channel}`));
        return;
      }
      if (presence) {
        const member = readMember(channelData, app.limits.maxPresenceInfoBytes);
        if (typeof member === 'string') {
          this.#reply(subscriptionError(channel, 400, member));
          return;
        }
        ({ userId, userInfo } = member);
      }
    }
    // Registered here first: what the engine delivers once it has the subscription reaches this socket.
    client.channels.set(channel, { userId, ready: false });
    this.#local.add(client, channel);
    let answer;
    try {
      answer = await this.#channels.subscribe(app.id, channel, { socketId, userId, userInfo }, app.limits.maxPresenceMembers);
    } catch (error) {
      this.#logger.warn('pusher subscribe failed in the engine', { client: client.conn.id, reason: (error as Error).message });
      this.#forget(channel);
      this.#reply(subscriptionError(channel, 503, PusherErrorsText.engine));
      return;
    }
    if (!answer.ok) {
      this.#forget(channel);
      this.#reply(subscriptionError(channel, 403, 'the presence channel is full'));
      return;
    }
    if (this.#closed) return;
    client.channels.set(channel, { userId, ready: true });
    this.#reply(subscriptionSucceeded(channel, answer.members));
    if (!isCacheChannel(channel)) return;
    if (answer.cached === null) this.#reply(cacheMiss(channel));
    // The last event is an app's message, not a reply: preSend sees it, as it sees a replay on /web.
    else this.#delivery.message(client.conn, channelEventFrame(answer.cached));
  }

  async #unsubscribe(channel: string): Promise<void> {
    if (!this.#client.channels.has(channel)) return;
    this.#forget(channel);
    await this.#channels.unsubscribe(this.#client.app.id, channel, this.#client.socketId).catch(() => {});
  }

  #signin(auth: string, userData: string): void {
    const client = this.#client;
    if (this.#closed || client.user !== null) return;
    if (!verifyAuth(auth, client.app.key, client.app.secret, userStringToSign(client.socketId, userData))) {
      this.#error('UNAUTHORIZED', 'Invalid signature for pusher:signin');
      return;
    }
    const id = readUserId(userData);
    if (id === null) {
      this.#error('BAD_MESSAGE', 'user_data must be a JSON object with a non-empty string id');
      return;
    }
    client.user = { id, data: userData };
    this.#local.signIn(client);
    // The client subscribes to #server-to-user-{id} itself when it reads this (pusher-js does).
    this.#reply(signinSuccess(userData));
  }

  async #clientEvent(event: string, channel: string, data: string): Promise<void> {
    const client = this.#client;
    if (this.#closed) return;
    const subscription = client.channels.get(channel);
    if (
      !client.app.clientEvents ||
      !acceptsClientEvents(channel) ||
      subscription?.ready !== true ||
      !event.startsWith(CLIENT_EVENT_PREFIX)
    ) {
      this.#error('CLIENT_EVENT_REFUSED');
      return;
    }
    if (!client.takeClientEvent(Date.now())) {
      this.#error('RATE_LIMITED');
      return;
    }
    const userId = subscription.userId;
    const payload = userId === null ? { event, channel, data } : { event, channel, data, user_id: userId };
    await this.#channels.clientEvent(client.app.id, payload, client.socketId, userId).catch(() => this.#error('ENGINE_FAILED'));
  }

  #forget(channel: string): void {
    this.#client.channels.delete(channel);
    this.#local.remove(this.#client, channel);
  }

  #reply(frame: string): void {
    this.#delivery.reply(this.#client.conn, frame);
  }

  #error(name: PusherErrorName, detail?: string): void {
    this.#reply(errorFrame(name, detail));
  }
}

const PusherErrorsText = { engine: 'the relay could not reach its engine; try again' } as const;

/** The member a presence channel_data names, or why it is refused. */
function readMember(channelData: string | null, maxInfoBytes: number): { userId: string; userInfo: string } | string {
  if (channelData === null) return 'presence channels need channel_data';
  let parsed: unknown;
  try {
    parsed = JSON.parse(channelData);
  } catch {
    return 'channel_data is not valid JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'channel_data must be a JSON object';
  const { user_id: rawId, user_info: info } = parsed as { user_id?: unknown; user_info?: unknown };
  const userId = typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId;
  if (typeof userId !== 'string' || userId === '' || userId.length > MAX_USER_ID_LENGTH) return 'channel_data needs a user_id';
  const userInfo = JSON.stringify(info ?? null);
  if (Buffer.byteLength(userInfo) > maxInfoBytes) return `user_info is larger than ${maxInfoBytes} bytes`;
  return { userId, userInfo };
}

/** The `id` of a signed-in user's user_data, or null. */
function readUserId(userData: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(userData);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const id = (parsed as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' && id.length <= MAX_USER_ID_LENGTH ? id : null;
}
